// Wiring shared by every runtime adapter (Node, Cloudflare Workers, Lambda): from the configuration and
// the runtime's own pieces (store, queue, signer, fetch, lock) to the Hono app and the attach worker.
// No runtime API here; each adapter supplies its pieces and decides how jobs reach `runJob`.

import { createApp } from "../lib/api/app.ts";
import { serviceOperations } from "../lib/api/registry-reads.ts";
import type { AttachJob, AttachJobResult, JobQueue } from "../lib/attach/attach-job.ts";
import { type AttachDeps, type RunOptions, runAttachJob } from "../lib/attach/job.ts";
import { registryDirectory } from "../lib/attach/registries.ts";
import type { Config } from "../lib/config/schema.ts";
import { timestamperFrom, verificationMaterial } from "../lib/config/verification.ts";
import { countedFetch } from "../lib/observability/counted-fetch.ts";
import type { Logger } from "../lib/observability/logger.ts";
import type { ServiceMetrics } from "../lib/observability/service-metrics.ts";
import type { SubjectLock } from "../lib/oci/subject-lock.ts";
import type { Signer } from "../lib/signing/signer.ts";
import type { Store } from "../lib/store/store.ts";
import { subjectLock } from "../lib/store/subject-lock.ts";

export interface ServiceParts {
  readonly config: Config;
  readonly store: Store;
  readonly queue: JobQueue;
  readonly signer: Signer;
  /** DER, leaf first, for Notary signatures; its last certificate is the trust anchor verifiers use. */
  readonly certificateChain: readonly Uint8Array[];
  /** The fetch registry requests go through (pooled on Node, the platform's elsewhere). */
  readonly fetch: typeof fetch;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** Per-subject serialization; default: leases in `store`. */
  readonly lock?: SubjectLock;
  /** Aborted at shutdown: REST reads still waiting on a registry end then. */
  readonly signal?: AbortSignal;
}

export interface ComposedService {
  readonly app: ReturnType<typeof createApp>;
  readonly attach: AttachDeps;
  /** Runs one delivery of a job and records metrics and a log line; `signal` stops it (shutdown). */
  runJob(job: AttachJob, attempt: number, options?: RunOptions): Promise<AttachJobResult>;
}

export async function composeService(parts: ServiceParts): Promise<ComposedService> {
  const { config, store, signer, certificateChain, logger, metrics } = parts;
  const lock = parts.lock ?? subjectLock(store);
  const fetch = countedFetch(parts.fetch, metrics.registryRequests);
  const registries = registryDirectory(config.registries, { fetch, subjectLock: lock });
  // The TSA is not a registry: its requests go through the runtime's fetch, uncounted.
  const timestamper = timestamperFrom(config.timestamp, parts.fetch);
  const attach: AttachDeps = {
    store,
    registry: (host) => registries.client(host),
    profile: (host) => registries.profile(host),
    signer,
    certificateChain,
    ...(timestamper && { timestamper }),
    lock,
    formats: config.formats,
    signIndexChildren: config.policy.signIndexChildren,
    maxIndexChildren: config.policy.maxIndexChildren,
    attemptTimeoutMs: config.queue.attemptTimeoutMs,
    maxAttempts: config.queue.maxAttempts,
    backoff: config.queue.backoff,
    onSigned: (format) => metrics.signatures.inc({ format }),
  };
  // Our own key and certificate always verify; configured keys, trust policy and trusted root judge
  // other signers' signatures (cosign's, notation's) on /v1/verify.
  const material = verificationMaterial(config.verification, {
    publicKey: (await signer.publicKey()).spki,
    trustAnchor: certificateChain.at(-1),
  });
  const app = createApp({
    config,
    store,
    queue: parts.queue,
    signers: [signer],
    operations: serviceOperations({
      registries,
      store,
      material,
      formats: config.formats,
      ...(parts.signal !== undefined && { signal: parts.signal }),
    }),
    logger,
    metrics,
  });
  return {
    app,
    attach,
    async runJob(job, attempt, options = {}) {
      const started = performance.now();
      const result = await runAttachJob(job, attach, attempt, options);
      const status = (await store.getJob(job.jobId))?.status ?? "unknown";
      metrics.jobs.inc({ status });
      metrics.jobDuration.observe({ status }, (performance.now() - started) / 1000);
      logger.info("attach job finished", { jobId: job.jobId, attempt, status, result: result.kind });
      return result;
    },
  };
}
