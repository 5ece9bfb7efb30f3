// Lambda's SQS event source mapping, played by the test: receive a batch from the SQS emulator, hand
// it to the handler as the `SQSEvent` Lambda sends (record shape from the Lambda Developer Guide,
// "Using Lambda with Amazon SQS", example event), then delete every message the response did not list
// in `batchItemFailures`; when the handler throws, delete none (the whole batch comes back).
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { ReceivedMessage, SqsEmulator } from "./emulator.ts";

export type SqsHandlerUnderTest = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface DeliveredBatch {
  readonly event: SQSEvent;
  /** Undefined when the handler threw. */
  readonly response: SQSBatchResponse | undefined;
  readonly error?: unknown;
  readonly deleted: readonly string[];
}

export function sqsRecord(emulator: SqsEmulator, queueUrl: string, message: ReceivedMessage): SQSRecord {
  const name = new URL(queueUrl).pathname.split("/").at(-1) ?? "queue";
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: "AROAEXAMPLEROLEID:countersign-http",
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
    },
    messageAttributes: {},
    md5OfBody: message.md5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${emulator.region}:${emulator.accountId}:${name}`,
    awsRegion: emulator.region,
  };
}

/** One poll of the event source: undefined when nothing was visible. */
export async function deliverBatch(
  emulator: SqsEmulator,
  queueUrl: string,
  handler: SqsHandlerUnderTest,
  batchSize = 5,
): Promise<DeliveredBatch | undefined> {
  const received = emulator.receive(queueUrl, batchSize);
  if (received.length === 0) return undefined;
  const event: SQSEvent = { Records: received.map((m) => sqsRecord(emulator, queueUrl, m)) };
  let response: SQSBatchResponse | undefined;
  try {
    response = await handler(event);
  } catch (error) {
    return { event, response: undefined, error, deleted: [] };
  }
  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  const deleted: string[] = [];
  for (const message of received) {
    if (failed.has(message.messageId)) continue;
    emulator.deleteMessage(queueUrl, message.receiptHandle);
    deleted.push(message.messageId);
  }
  return { event, response, deleted };
}
