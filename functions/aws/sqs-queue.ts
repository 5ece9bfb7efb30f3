// Attach jobs on SQS: the HTTP function sends each job as one message (its JSON); the worker, which
// receives them through Lambda's event source, delays a retry by extending the message's visibility
// (the SQS way to back off one message: "ChangeMessageVisibility", SQS API Reference), since a
// message reported as a batch item failure otherwise comes back only after the queue's own
// visibility timeout (12 min on the stack's queue).
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { AttachJob, JobQueue } from "../../lib/attach/attach-job.ts";

/** SQS's upper bound for a visibility timeout: 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

export class SqsJobQueue implements JobQueue {
  readonly queueUrl: string;
  readonly #client: SQSClient;

  constructor(queueUrl: string, client?: SQSClient) {
    this.queueUrl = queueUrl;
    this.#client = client ?? new SQSClient({});
  }

  /** Resolves once SQS has stored the message (SendMessage answered). */
  async enqueue(job: AttachJob): Promise<void> {
    await this.#client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(job) }),
    );
  }

  /**
   * Hides a received message for `delayMs` from now, rounded up to whole seconds (the API's unit),
   * so it is redelivered no earlier than the backoff asks.
   */
  async delay(receiptHandle: string, delayMs: number): Promise<void> {
    const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000)));
    await this.#client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}
