// Attach jobs over a Cloudflare Queue. Intake sends; the `queue` handler runs each message through
// the attach job and acks it, or asks for redelivery after the job's backoff. A message that keeps
// failing outside the job (the store unreachable, the isolate dying) goes to the dead-letter queue
// after `max_retries` (wrangler.toml), whose consumer records the job as dead with the reason, so
// nothing is lost silently (DESIGN.md "Rules that hold everywhere").
import {
  type AttachJob,
  type AttachJobResult,
  type JobQueue,
  parseAttachJob,
} from "../../lib/attach/attach-job.ts";
import { gaveUp } from "../../lib/attach/failure.ts";
import type { Logger } from "../../lib/observability/logger.ts";
import type { Store } from "../../lib/store/store.ts";
import type { QueueBatch, QueueMessage, QueueProducer } from "./bindings.ts";

/** Cloudflare caps a message delay at 12 hours (Queues limits, "delaySeconds"). */
const MAX_DELAY_SECONDS = 43_200;
/** Redelivery delay after a failure outside the job, which says nothing about how long to wait. */
const CRASH_DELAY_SECONDS = 5;

export class CloudflareJobQueue implements JobQueue {
  readonly #queue: QueueProducer<AttachJob>;

  constructor(queue: QueueProducer<AttachJob>) {
    this.#queue = queue;
  }

  async enqueue(job: AttachJob): Promise<void> {
    await this.#queue.send(job, { contentType: "json" });
  }
}

export type RunJob = (job: AttachJob, attempt: number) => Promise<AttachJobResult>;

/** Runs a batch from the jobs queue; messages run concurrently and are settled one by one. */
export async function consumeJobs(batch: QueueBatch, runJob: RunJob, logger: Logger): Promise<void> {
  await Promise.all(batch.messages.map((message) => consumeJob(message, runJob, logger)));
}

async function consumeJob(message: QueueMessage, runJob: RunJob, logger: Logger): Promise<void> {
  const job = parseAttachJob(message.body);
  if (job === undefined) {
    logger.error("dropped a queue message that is not an attach job", { messageId: message.id });
    message.ack();
    return;
  }
  let result: AttachJobResult;
  try {
    result = await runJob(job, message.attempts);
  } catch (error) {
    logger.error("attach job failed outside the job; the queue redelivers it", {
      jobId: job.jobId,
      attempt: message.attempts,
      error,
    });
    message.retry({ delaySeconds: CRASH_DELAY_SECONDS });
    return;
  }
  if (result.kind === "done") message.ack();
  else message.retry({ delaySeconds: delaySeconds(result.delayMs) });
}

/** Queue delays are whole seconds: round up, so a retry never comes back before its backoff. */
export function delaySeconds(delayMs: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000)));
}

/** The dead-letter queue's consumer: records each job as dead (unless it finished meanwhile). */
export async function buryJobs(batch: QueueBatch, store: Store, logger: Logger): Promise<void> {
  for (const message of batch.messages) {
    const parsed = parseAttachJob(message.body);
    if (parsed !== undefined) {
      const { jobId } = parsed;
      const job = await store.getJob(jobId);
      if (job !== undefined && job.status !== "succeeded" && job.status !== "dead") {
        await store.updateJob(jobId, {
          status: "dead",
          // Failures outside the job (an isolate dying, the store away) are transient by nature: a
          // redelivered webhook event runs the job again (lib/attach/intake.ts).
          lastError: gaveUp(
            `the queue's delivery attempts (dead-letter queue ${batch.queue})`,
            job.lastError ?? "the attach job failed",
          ),
          finishedAt: new Date().toISOString(),
        });
      }
      logger.warn("attach job dead-lettered", { jobId, queue: batch.queue, status: job?.status });
    } else {
      logger.error("dropped a dead-lettered message that is not an attach job", { messageId: message.id });
    }
    message.ack();
  }
}
