// The registry client: one RegistryClient per registry host (it holds the auth state, token cache and
// learnt capabilities), and a Repository per repository, which implements Target for copy and the CLI.
// oras-go's `registry/remote` is the model: only this package speaks the registry's HTTP.

import type { Descriptor, Manifest } from "../descriptor.ts";
import { isDigest } from "../digest.ts";
import { isLoopbackHost } from "../loopback.ts";
import { EmptyJson } from "../media-types.ts";
import { checkRepositoryName, DOCKER_HUB, DOCKER_HUB_API_HOST, Reference } from "../reference.ts";
import { InProcessSubjectLock, type SubjectLock } from "../subject-lock.ts";
import type { PushedManifest, Target } from "../target.ts";
import { Authenticator, repositoryScope } from "./auth.ts";
import { cancelUpload, startMount, uploadBlob } from "./blob-upload.ts";
import { fetchBlob, headBlob, readBlob } from "./blobs.ts";
import type { Credential, CredentialStore } from "./credentials.ts";
import { StaticCredentialStore } from "./credentials.ts";
import {
  deleteManifest,
  type FetchedManifestWithEtag,
  getManifest,
  hasManifest,
  putManifest,
  resolveManifest,
} from "./manifests.ts";
import {
  addReferrer,
  type FallbackIndex,
  listReferrers,
  type ReferrersIndexUpdate,
  readFallbackIndex,
  referrersCapability,
  removeReferrer,
} from "./referrers.ts";
import {
  DEFAULT_LIMITS,
  RegistryCapabilities,
  type RegistryLimits,
  type RepositoryContext,
} from "./repository-context.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.ts";
import { versionCheckUrl } from "./routes.ts";
import { listTags } from "./tags.ts";
import { type RequestEvent, Transport } from "./transport.ts";

export interface RegistryClientOptions {
  /** Default `globalThis.fetch`; on Node, functions/node/fetch.ts gives a pooled keep-alive one. */
  readonly fetch?: typeof fetch;
  /** A store (looked up by registry host) or the credential for this registry. */
  readonly credentials?: CredentialStore | Credential;
  /** Default: true for loopback hosts (127.0.0.0/8, ::1, localhost), false elsewhere. */
  readonly plainHttp?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  /** Per attempt, until response headers (whole body for manifests and small answers). Default 30 s. */
  readonly timeoutMs?: number;
  /** Called after every HTTP attempt, token requests included. */
  readonly onRequest?: (event: RequestEvent) => void;
  /** Serialises tag-schema index updates per subject. Default: in-process. */
  readonly subjectLock?: SubjectLock;
  readonly limits?: Partial<RegistryLimits>;
  readonly userAgent?: string;
}

export interface PushBlobOptions {
  /** A repository of the same registry to mount the blob from (end-11), uploading if the registry declines. */
  readonly mountFrom?: string;
  /** Skip the HEAD that makes pushBlob a no-op for present blobs (the caller has just checked). */
  readonly knownAbsent?: boolean;
}

export class RegistryClient {
  /** As written in references: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000`. */
  readonly baseUrl: string;
  readonly #transport: Transport;
  readonly #capabilities = new RegistryCapabilities();
  readonly #limits: RegistryLimits;
  readonly #lock: SubjectLock;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    const plainHttp = options.plainHttp ?? isLoopbackHost(registry);
    const apiHost = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
    this.baseUrl = `${plainHttp ? "http" : "https"}://${apiHost}`;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#lock = options.subjectLock ?? new InProcessSubjectLock();
    this.#transport = new Transport({
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.onRequest !== undefined && { onRequest: options.onRequest }),
      userAgent: options.userAgent ?? "countersign",
    });
    const credentials = options.credentials;
    const store =
      credentials === undefined || "get" in credentials
        ? (credentials as CredentialStore | undefined)
        : new StaticCredentialStore({ [registry]: credentials });
    const transport = this.#transport;
    this.#transport.authenticator = new Authenticator({
      registry,
      ...(store !== undefined && { credentials: store }),
      allowPlainHttpRealm: plainHttp,
      exchange: (request) =>
        transport.requestBytes(
          { ...request, operation: "auth.token", headers: { ...request.headers } },
          1 << 20,
        ),
    });
  }

  repository(name: string): Repository {
    checkRepositoryName(name);
    const context: RepositoryContext = {
      registry: this.registry,
      repository: name,
      baseUrl: this.baseUrl,
      transport: this.#transport,
      limits: this.#limits,
      capabilities: this.#capabilities,
      pullScopes: [repositoryScope(name, ["pull"])],
      pushScopes: [repositoryScope(name, ["pull", "push"])],
      deleteScopes: [repositoryScope(name, ["delete"])],
    };
    return new Repository(context, this.#lock);
  }

  /** end-1: `GET /v2/`, authenticating if the registry asks. Throws unless it answers 200. */
  async ping(): Promise<void> {
    const request = { operation: "ping", method: "GET", url: versionCheckUrl(this.baseUrl), scopes: [] };
    const response = await this.#transport.requestBytes(request, 64 * 1024);
    if (response.status !== 200) throw await this.#transport.errorFrom(request, response);
  }

  /** What has been learnt about this registry so far. */
  get capabilities(): Readonly<RegistryCapabilities> {
    return this.#capabilities;
  }
}

export class Repository implements Target {
  /** `127.0.0.1:5000/team/app`. */
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly #ctx: RepositoryContext;
  readonly #lock: SubjectLock;

  constructor(context: RepositoryContext, lock: SubjectLock) {
    this.#ctx = context;
    this.#lock = lock;
    this.registry = context.registry;
    this.repository = context.repository;
    this.name = `${context.registry}/${context.repository}`;
  }

  /** A Reference into this repository, by tag or digest. */
  reference(tagOrDigest?: string): Reference {
    const base = new Reference(this.registry, this.repository);
    if (tagOrDigest === undefined) return base;
    return isDigest(tagOrDigest) ? base.withDigest(tagOrDigest) : base.withTag(tagOrDigest);
  }

  resolve(reference: string): Promise<Descriptor> {
    return resolveManifest(this.#ctx, reference);
  }

  /** GET and verify; also returns the registry's ETag. */
  fetchManifest(reference: string): Promise<FetchedManifestWithEtag> {
    return getManifest(this.#ctx, reference);
  }

  pushManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<PushedManifest> {
    return putManifest(this.#ctx, bytes, mediaType, tag);
  }

  hasManifest(digest: string): Promise<boolean> {
    return hasManifest(this.#ctx, digest);
  }

  deleteManifest(digest: string): Promise<void> {
    return deleteManifest(this.#ctx, digest);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return (await headBlob(this.#ctx, digest)) !== undefined;
  }

  fetchBlob(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    return fetchBlob(this.#ctx, descriptor);
  }

  /** A small blob (config, payload) in memory, verified. */
  fetchBlobBytes(descriptor: Descriptor, limit = 4 * 1024 * 1024): Promise<Uint8Array> {
    return readBlob(this.#ctx, descriptor, limit);
  }

  async pushBlob(
    descriptor: Descriptor,
    content: Uint8Array | ReadableStream<Uint8Array>,
    options: PushBlobOptions = {},
  ): Promise<void> {
    let session: string | undefined;
    if (options.mountFrom !== undefined && options.mountFrom !== this.repository) {
      const mount = await startMount(this.#ctx, descriptor.digest, options.mountFrom);
      if (mount.mounted) {
        if (content instanceof ReadableStream) await content.cancel().catch(() => {});
        return;
      }
      session = mount.session;
    } else if (!options.knownAbsent && (await headBlob(this.#ctx, descriptor.digest)) !== undefined) {
      if (content instanceof ReadableStream) await content.cancel().catch(() => {});
      return;
    }
    await uploadBlob(this.#ctx, descriptor, content, session);
  }

  /** Cross-repository mount only: true when mounted, false when the registry declined (session cancelled). */
  async mountBlob(descriptor: Descriptor, from: string): Promise<boolean> {
    const mount = await startMount(this.#ctx, descriptor.digest, from);
    if (!mount.mounted) await cancelUpload(this.#ctx, mount.session);
    return mount.mounted;
  }

  tags(options: { readonly pageSize?: number } = {}): Promise<string[]> {
    return listTags(this.#ctx, options.pageSize);
  }

  referrers(subject: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    return listReferrers(this.#ctx, subject, artifactType);
  }

  /** Whether the registry has the referrers API (asked once per registry, then cached). */
  referrersCapability(): Promise<boolean> {
    return referrersCapability(this.#ctx, EmptyJson.digest);
  }

  /** The tag-schema index of `subject` (`sha256-<hex>`), undefined when there is none. */
  fallbackIndex(subject: Descriptor | string): Promise<FallbackIndex | undefined> {
    return readFallbackIndex(this.#ctx, typeof subject === "string" ? subject : subject.digest);
  }

  /** Adds a pushed manifest to `subject`'s tag-schema index, under the subject lock. */
  addReferrer(
    subject: Descriptor,
    manifestDescriptor: Descriptor,
    manifest: Manifest,
  ): Promise<ReferrersIndexUpdate> {
    return addReferrer(this.#ctx, this.#lock, subject, manifestDescriptor, manifest);
  }

  removeReferrer(subject: Descriptor, digest: string): Promise<ReferrersIndexUpdate> {
    return removeReferrer(this.#ctx, this.#lock, subject, digest);
  }
}
