// The Workers composition root: from the bindings to the composed service, once per isolate and
// lazily on the first event, because Workers forbid I/O and random values at global scope (and the
// signer's GetPublicKey, D1 and certificate work are all I/O).

import { createLogger, type Logger } from "../../lib/observability/logger.ts";
import { createServiceMetrics } from "../../lib/observability/service-metrics.ts";
import { d1Database } from "../../lib/store/sql/d1.ts";
import { SqlStore } from "../../lib/store/sql/store.ts";
import { type ComposedService, composeService } from "../compose.ts";
import type { CloudflareEnv } from "./bindings.ts";
import { CloudflareStore, durableSubjectLock } from "./cloudflare-store.ts";
import { CloudflareJobQueue } from "./job-queue.ts";
import { workerCertificateChain } from "./notary-certificate.ts";
import { installWorkersStreamingHash } from "./streaming-hash.ts";
import { loadWorkerConfig } from "./worker-config.ts";
import { openWorkerSigner } from "./worker-signer.ts";

export interface CloudflareService extends ComposedService {
  readonly store: CloudflareStore;
  readonly logger: Logger;
}

export const workerLogger: Logger = createLogger({
  bindings: { service: "countersign", runtime: "workerd" },
});

export async function composeCloudflareService(env: CloudflareEnv): Promise<CloudflareService> {
  installWorkersStreamingHash();
  const logger = workerLogger;
  const config = await loadWorkerConfig(env);
  const db = d1Database(env.DB);
  const jobs = new SqlStore(db);
  // CREATE … IF NOT EXISTS, one D1 batch per isolate: a fresh database needs no migration step.
  await jobs.migrate();
  const store = new CloudflareStore({ jobs, subjects: env.SUBJECTS });
  const signer = await openWorkerSigner(config, env);
  const certificateChain = await workerCertificateChain(env, db, signer);
  const service = await composeService({
    config,
    store,
    queue: new CloudflareJobQueue(env.JOBS),
    signer,
    certificateChain,
    // Unbound, the platform's fetch throws "Illegal invocation".
    fetch: (input, init) => fetch(input, init),
    logger,
    // Per isolate: /metrics shows this isolate's counters only (see docs/cloudflare.md).
    metrics: createServiceMetrics(),
    lock: durableSubjectLock(store),
  });
  logger.info("countersign composed", { keyId: signer.keyId, formats: config.formats });
  return { ...service, store, logger };
}

let composing: Promise<CloudflareService> | undefined;

/** The isolate's service; a failed composition is forgotten so the next event tries again. */
export function cloudflareService(env: CloudflareEnv): Promise<CloudflareService> {
  if (composing === undefined) {
    composing = composeCloudflareService(env);
    composing.catch(() => {
      composing = undefined;
    });
  }
  return composing;
}
