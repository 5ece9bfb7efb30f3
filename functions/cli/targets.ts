// Turning a command-line reference into a Target: registry references everywhere (the docker grammar,
// lib/oci/reference.ts), OCI layouts as `oci-layout:<dir>[:<tag>|@<digest>]`. One RegistryClient per
// registry host, so that two references to one registry share tokens and can mount blobs.
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { profileFor } from "../../lib/artifacts/profiles.ts";
import { tagOf } from "../../lib/oci/layout/index-json.ts";
import { OciLayout } from "../../lib/oci/layout/layout.ts";
import { isLayoutReference, parseLayoutReference } from "../../lib/oci/layout/reference.ts";
import { isLoopbackHost } from "../../lib/oci/loopback.ts";
import { parseReference } from "../../lib/oci/reference.ts";
import type { CredentialStore } from "../../lib/oci/remote/credentials.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { Target } from "../../lib/oci/target.ts";
import { loadDockerCredentials } from "../node/docker-config.ts";
import { createPooledFetch, type PooledFetch } from "../node/fetch.ts";
import { nodeLayoutFileSystem } from "../node/layout-fs.ts";
import { InputError, UsageError } from "./command.ts";
import type { CliIo } from "./io.ts";

export interface OpenedTarget {
  readonly target: Target;
  readonly kind: "registry" | "layout";
  readonly tag?: string;
  readonly digest?: string;
  /** How to show it: `127.0.0.1:5000/app:v1`, `oci-layout:out:v1`. */
  readonly display: string;
}

export interface TargetOpenerOptions {
  /** Plain HTTP for registries off loopback too (`--plain-http`). */
  readonly plainHttp: boolean;
  readonly io: CliIo;
  /** `countersign sign` marks its pushes as signatures (lib/oci/user-agent.ts). */
  readonly userAgent?: string;
}

export class TargetOpener {
  readonly #options: TargetOpenerOptions;
  readonly #clients = new Map<string, RegistryClient>();
  #credentials: Promise<CredentialStore | undefined> | undefined;
  #pool: PooledFetch | undefined;

  constructor(options: TargetOpenerOptions) {
    this.#options = options;
  }

  /**
   * Opens a registry repository or an OCI layout. A layout is read from unless `create` (a copy's
   * destination): reading one that is not there says so, instead of "no tag v1" from an empty index.
   */
  async open(text: string, options: { readonly create?: boolean } = {}): Promise<OpenedTarget> {
    if (isLayoutReference(text)) {
      const reference = parseLayoutReference(text);
      if (options.create !== true) await assertLayout(text, reference.directory);
      const target = new OciLayout({
        fileSystem: nodeLayoutFileSystem(resolvePath(reference.directory)),
        name: `oci-layout:${reference.directory}`,
      });
      return { target, kind: "layout", ...reference, display: text };
    }
    const reference = parseReference(text);
    const client = await this.#client(reference.registry);
    const target = client.repository(reference.repository);
    return {
      target,
      kind: "registry",
      ...(reference.tag === undefined ? {} : { tag: reference.tag }),
      ...(reference.digest === undefined ? {} : { digest: reference.digest }),
      display: reference.toString(),
    };
  }

  async #client(registry: string): Promise<RegistryClient> {
    let client = this.#clients.get(registry);
    if (!client) {
      this.#credentials ??= loadDockerCredentials(this.#options.io.env);
      const credentials = await this.#credentials;
      this.#pool ??= createPooledFetch();
      client = new RegistryClient(registry, {
        fetch: this.#pool.fetch,
        // Docker Hub's realm is auth.docker.io: the profile knows the hosts a registry's realm is on.
        tokenRealmHosts: profileFor(registry).tokenRealmHosts,
        plainHttp: this.#options.plainHttp || isLoopbackHost(registry),
        ...(this.#options.userAgent !== undefined && { userAgent: this.#options.userAgent }),
        ...(credentials ? { credentials } : {}),
      });
      this.#clients.set(registry, client);
    }
    return client;
  }

  /** Closes pooled connections, so the process exits as soon as the command is done. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  /** Runs `work` with this opener, closing it afterwards whatever happens. */
  async use<T>(work: (opener: TargetOpener) => Promise<T>): Promise<T> {
    try {
      return await work(this);
    } finally {
      await this.close();
    }
  }
}

async function assertLayout(text: string, directory: string): Promise<void> {
  try {
    await stat(join(directory, "oci-layout"));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    const what = existsSync(directory) ? "no oci-layout file in it" : "no such directory";
    throw new InputError(`${text}: not an OCI image layout: ${directory} (${what})`);
  }
}

/**
 * The reference to read from: the digest, else the tag; a registry reference without either means
 * `latest` (as `docker pull`), a layout without either means its only manifest.
 */
export async function sourceReference(opened: OpenedTarget): Promise<string> {
  if (opened.digest) return opened.digest;
  if (opened.tag) return opened.tag;
  if (opened.kind === "registry") return "latest";
  const layout = opened.target as OciLayout;
  const entries = (await layout.readIndex()).manifests;
  if (entries.length === 1) return entries[0]!.digest;
  const tags = entries.map(tagOf).filter((tag) => tag !== undefined);
  throw new UsageError(
    `${opened.display} holds ${entries.length} manifests: name one as ${opened.display}:<tag> or @<digest>` +
      (tags.length > 0 ? ` (tags: ${tags.slice(0, 10).join(", ")}${tags.length > 10 ? ", …" : ""})` : ""),
  );
}
