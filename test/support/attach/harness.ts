// What the attach-job integration tests share: a real SQLite store in a temp dir, a local (or given)
// signer with its Notary certificate, and the job's registry clients built by registryDirectory over
// a recording fetch, so a test can count the requests (and the writes) one job made.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore, type SqliteStore } from "../../../functions/node/sqlite-store.ts";
import type { AttachJob } from "../../../lib/attach/attach-job.ts";
import type { AttachDeps } from "../../../lib/attach/job.ts";
import { type RegistryDirectory, registryDirectory } from "../../../lib/attach/registries.ts";
import { type FormatReport, verifySubject } from "../../../lib/attach/verify-subject.ts";
import { parseConfig } from "../../../lib/config/load.ts";
import type { ConfigInput } from "../../../lib/config/schema.ts";
import type { FormatName } from "../../../lib/formats/index.ts";
import type { Descriptor } from "../../../lib/oci/descriptor.ts";
import { RegistryClient, type RegistryClientOptions } from "../../../lib/oci/remote/registry.ts";
import type { RequestEvent } from "../../../lib/oci/remote/transport.ts";
import { createNotaryCertificate } from "../../../lib/signing/certificate.ts";
import { LocalSigner } from "../../../lib/signing/local.ts";
import type { Signer } from "../../../lib/signing/signer.ts";
import type { JobRequest } from "../../../lib/store/store.ts";
import { subjectLock } from "../../../lib/store/subject-lock.ts";

export const ALL_FORMATS: readonly FormatName[] = ["notary", "cosign", "bundle"];

/** One HTTP exchange the job's clients made (method and path, status when an answer arrived). */
export interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly status?: number;
}

export interface AttachHarness {
  readonly store: SqliteStore;
  readonly signer: Signer;
  readonly certificateChain: readonly Uint8Array[];
  readonly registries: RegistryDirectory;
  /** Every request the job's clients sent (through `fetch`), in order. */
  readonly sent: SentRequest[];
  /** Every attempt the clients reported through `onRequest`. */
  readonly events: RequestEvent[];
  /** AttachDeps for `runAttachJob`, with `overrides` applied. */
  deps(overrides?: Partial<AttachDeps>): AttachDeps;
  /** Creates a job in the store for `request` and returns its AttachJob. */
  job(request: JobRequest, extra?: Omit<AttachJob, "jobId" | "request">): Promise<AttachJob>;
  /** Requests that change registry state (PUT, POST, PATCH, DELETE). */
  writes(): SentRequest[];
  reset(): void;
  close(): Promise<void>;
}

export interface AttachHarnessOptions {
  readonly signer?: Signer;
  /** The `registries` section of the configuration. Default: every loopback port. */
  readonly registries?: ConfigInput["registries"];
  /** Client options shared by every registry client. Default: fast retries (3 attempts, ≤ 20 ms). */
  readonly client?: Omit<RegistryClientOptions, "credentials" | "plainHttp" | "subjectLock">;
  /** Wraps the recording fetch (tests that lose responses after the registry applied them). */
  readonly wrapFetch?: (inner: typeof fetch) => typeof fetch;
}

const WRITE_METHODS = new Set(["PUT", "POST", "PATCH", "DELETE"]);

export async function createAttachHarness(options: AttachHarnessOptions = {}): Promise<AttachHarness> {
  const dir = await mkdtemp(join(tmpdir(), "countersign-attach-"));
  const store = await openSqliteStore(join(dir, "countersign.db"));
  const signer = options.signer ?? (await LocalSigner.generate());
  const certificateChain = [await createNotaryCertificate(signer, { subject: "CN=countersign attach test" })];
  const sent: SentRequest[] = [];
  const events: RequestEvent[] = [];
  const recording: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    try {
      const response = await fetch(input, init);
      sent.push({ method, path: url.pathname, status: response.status });
      return response;
    } catch (error) {
      sent.push({ method, path: url.pathname });
      throw error;
    }
  };
  const config = await parseConfig(
    { registries: options.registries ?? [{ host: "127.0.0.1:*" }] },
    { env: () => undefined, readFile: async () => "" },
  );
  const lock = subjectLock(store);
  const registries = registryDirectory(config.registries, {
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    ...options.client,
    fetch: options.wrapFetch?.(recording) ?? recording,
    onRequest: (event) => {
      events.push(event);
      options.client?.onRequest?.(event);
    },
    subjectLock: lock,
  });
  return {
    store,
    signer,
    certificateChain,
    registries,
    sent,
    events,
    deps: (overrides = {}) => ({
      store,
      registry: (host) => registries.client(host),
      profile: (host) => registries.profile(host),
      signer,
      certificateChain,
      lock,
      formats: ALL_FORMATS,
      signIndexChildren: true,
      maxAttempts: 5,
      backoff: { initialMs: 100, maxMs: 1_000, factor: 2 },
      ...overrides,
    }),
    async job(request, extra = {}) {
      const created = await store.createJob({ request, source: "test" });
      return { jobId: created.id, request, ...extra };
    },
    writes: () => sent.filter((r) => WRITE_METHODS.has(r.method)),
    reset() {
      sent.length = 0;
      events.length = 0;
    },
    async close() {
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A job request for `digest` in `repository` of `host`. */
export function digestRequest(host: string, repository: string, digest: string): JobRequest {
  return { registry: host, repository, reference: digest, digest };
}

/** What a verifier finds on the registry itself (read directly, not through the job's clients). */
export async function verifyOnRegistry(
  host: string,
  repository: string,
  subject: Descriptor,
  h: Pick<AttachHarness, "signer" | "certificateChain">,
  formats: readonly FormatName[] = ALL_FORMATS,
): Promise<FormatReport[]> {
  return verifySubject({
    target: new RegistryClient(host).repository(repository),
    subject,
    formats,
    material: { publicKeys: [(await h.signer.publicKey()).spki], trustStore: [...h.certificateChain] },
  });
}

/** The tag-schema index entries of `digest`, read directly from the registry. */
export async function fallbackEntries(
  host: string,
  repository: string,
  digest: string,
): Promise<Descriptor[]> {
  const index = await new RegistryClient(host).repository(repository).fallbackIndex(digest);
  return [...((index?.index.manifests ?? []) as Descriptor[])];
}

/** Layers of the cosign `.sig` manifest of `digest` (0 when there is no `.sig` tag). */
export async function cosignLayerCount(host: string, repository: string, digest: string): Promise<number> {
  const repo = new RegistryClient(host).repository(repository);
  try {
    const fetched = await repo.fetchManifest(`${digest.replace(":", "-")}.sig`);
    return (JSON.parse(new TextDecoder().decode(fetched.bytes)) as { layers: unknown[] }).layers.length;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return 0;
    throw error;
  }
}
