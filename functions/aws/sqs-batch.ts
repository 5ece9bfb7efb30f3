// One SQS batch through the attach worker. Lambda deletes every message of the batch except those
// listed in `batchItemFailures` ("Reporting batch item failures", Lambda Developer Guide), so a job
// that asked for a retry or failed unexpectedly is listed, and only it comes back. The attempt
// number is SQS's own receive count, which also counts deliveries whose worker died mid-job.
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type AttachJob, type AttachJobResult, parseAttachJob } from "../../lib/attach/attach-job.ts";
import type { Logger } from "../../lib/observability/logger.ts";

export interface SqsWorker {
  runJob(job: AttachJob, attempt: number): Promise<AttachJobResult>;
  /** Hides the message until its retry is due (ChangeMessageVisibility). */
  delay(receiptHandle: string, delayMs: number): Promise<void>;
  /** Backoff for a delivery that threw instead of returning a result (the store was unreachable…). */
  fallbackDelayMs(attempt: number): number;
  readonly logger: Logger;
}

type Outcome = "done" | "retry" | "error" | "malformed";

export async function processSqsBatch(event: SQSEvent, worker: SqsWorker): Promise<SQSBatchResponse> {
  // At most 10 records (the stack asks for 5): run them side by side, each on its own subject lock.
  const outcomes = await Promise.all(event.Records.map((record) => processRecord(record, worker)));
  return {
    batchItemFailures: event.Records.filter((_, i) => outcomes[i] !== "done").map((record) => ({
      itemIdentifier: record.messageId,
    })),
  };
}

async function processRecord(record: SQSRecord, worker: SqsWorker): Promise<Outcome> {
  const job = parseJob(record.body);
  const log = worker.logger.child({ messageId: record.messageId });
  if (job === undefined) {
    // Unusable whatever happens: back on the queue at once, so that after the queue's receive limit
    // it lands in the dead-letter queue (and its alarm) instead of vanishing.
    log.error("queue message is not an attach job; it will go to the dead-letter queue");
    await hide(record, 0, worker, log);
    return "malformed";
  }
  const attempt = receiveCount(record);
  let result: AttachJobResult;
  try {
    result = await worker.runJob(job, attempt);
  } catch (error) {
    log.error("attach job failed unexpectedly; SQS will redeliver it", { jobId: job.jobId, attempt, error });
    await hide(record, worker.fallbackDelayMs(attempt), worker, log);
    return "error";
  }
  if (result.kind === "done") return "done";
  await hide(record, result.delayMs, worker, log);
  return "retry";
}

/** A failed visibility change is not fatal: the queue's own visibility timeout then sets the delay. */
async function hide(record: SQSRecord, delayMs: number, worker: SqsWorker, log: Logger): Promise<void> {
  try {
    await worker.delay(record.receiptHandle, delayMs);
  } catch (error) {
    log.warn("could not change the message's visibility; the queue's visibility timeout applies", {
      error,
    });
  }
}

function parseJob(body: string): AttachJob | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  return parseAttachJob(value);
}

function receiveCount(record: SQSRecord): number {
  const count = Number.parseInt(record.attributes.ApproximateReceiveCount, 10);
  return Number.isSafeInteger(count) && count >= 1 ? count : 1;
}
