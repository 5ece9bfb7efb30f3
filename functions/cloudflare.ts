// The Cloudflare Workers adapter (wrangler.toml `main`): `fetch` serves the Hono app, `queue` runs
// attach jobs from the jobs queue and buries what its dead-letter queue receives, and the
// SubjectCoordinator Durable Object serializes per-subject work. Wiring only; see docs/cloudflare.md.

import { ProblemTypes, problemBody, problemResponse } from "../lib/api/problem.ts";
import { ConfigError } from "../lib/config/load.ts";
import type { CloudflareEnv, ExecutionContextLike, QueueBatch } from "./cloudflare/bindings.ts";
import { buryJobs, consumeJobs } from "./cloudflare/job-queue.ts";
import { cloudflareService, workerLogger } from "./cloudflare/service.ts";
import { WorkerSetupError } from "./cloudflare/worker-config.ts";

export { SubjectCoordinator } from "./cloudflare/subject-coordinator.ts";

/** Default name of the dead-letter queue (wrangler.toml); a var of this name overrides it. */
const DEAD_LETTER_QUEUE_VAR = "COUNTERSIGN_DEAD_LETTER_QUEUE";
const DEFAULT_DEAD_LETTER_QUEUE = "countersign-jobs-dlq";

export default {
  async fetch(request: Request, env: CloudflareEnv, ctx: ExecutionContextLike): Promise<Response> {
    let service: Awaited<ReturnType<typeof cloudflareService>>;
    try {
      service = await cloudflareService(env);
    } catch (error) {
      return setupProblem(error);
    }
    return service.app.fetch(request, env, ctx);
  },

  async queue(batch: QueueBatch, env: CloudflareEnv): Promise<void> {
    // A composition failure throws: the platform then redelivers the whole batch, as it should.
    const service = await cloudflareService(env);
    const deadLetters = env[DEAD_LETTER_QUEUE_VAR] ?? DEFAULT_DEAD_LETTER_QUEUE;
    if (batch.queue === deadLetters) await buryJobs(batch, service.store, service.logger);
    else await consumeJobs(batch, service.runJob, service.logger);
  },
};

/** A Worker that cannot start answers every request with the reason, minus anything secret. */
function setupProblem(error: unknown): Response {
  workerLogger.error("countersign cannot start", { error });
  // ConfigError and WorkerSetupError name fields and bindings, never values (lib/config/load.ts).
  const known = error instanceof ConfigError || error instanceof WorkerSetupError;
  const detail = known ? error.message : "the service failed to start; see the Worker's logs";
  return problemResponse(problemBody(ProblemTypes.internal, detail));
}
