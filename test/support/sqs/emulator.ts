// An SQS emulator for tests: the JSON 1.0 protocol the AWS SDK v3 speaks to SQS (`POST /`,
// `X-Amz-Target: AmazonSQS.<Operation>`, `Content-Type: application/x-amz-json-1.0`) on a loopback
// port, standard queues in memory with receive counts and visibility timeouts, SQS's error shapes
// (`__type` plus the `x-amzn-query-error` header), and MD5 of the body on SendMessage, which the
// SDK checks. SigV4 signatures are not verified, but an Authorization header for `sqs` is required.
// Only what Countersign calls: SendMessage and ChangeMessageVisibility; the receiving side is driven
// by the test (see event-source.ts), as Lambda's event source mapping drives it in AWS.
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseJsonObject, readBody, sendJson, sigV4Scope, startAwsJsonServer } from "../aws-json-server.ts";

export interface SqsEmulatorOptions {
  readonly region?: string;
  readonly accountId?: string;
  readonly now?: () => number;
}

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  /** Epoch ms before which it is not received again (in flight or delayed). */
  visibleAt: number;
  /** The handle of the latest receive; earlier handles no longer change visibility. */
  receiptHandle: string | undefined;
  firstReceivedAt: number | undefined;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: number;
  readonly firstReceivedAt: number;
  readonly md5OfBody: string;
}

export interface SqsCall {
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly status: number;
  readonly errorType?: string;
}

export interface SqsEmulator {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** Returns the queue URL, `<endpoint>/<account>/<name>`. */
  createQueue(name: string, options?: { visibilityTimeoutSeconds?: number }): string;
  /** Every message still on the queue (not deleted), in send order. */
  messages(queueUrl: string): readonly StoredMessage[];
  /** Receives up to `max` visible messages, as ReceiveMessage does: hides them, counts the receive. */
  receive(queueUrl: string, max?: number): ReceivedMessage[];
  /** Deletes by receipt handle (what the event source does for messages a batch did not fail). */
  deleteMessage(queueUrl: string, receiptHandle: string): void;
  readonly calls: readonly SqsCall[];
  /** The next calls of `operation` fail with `InternalError` (500), `count` times. */
  failNext(operation: string, count: number): void;
  stop(): Promise<void>;
}

class SqsServiceError extends Error {
  readonly type: string;
  readonly queryCode: string;
  readonly status: number;
  constructor(type: string, queryCode: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.queryCode = queryCode;
    this.status = status;
  }
}

const MAX_VISIBILITY = 43_200;
const MAX_BODY_BYTES = 1024 * 1024;

interface Queue {
  readonly visibilityTimeoutSeconds: number;
  readonly messages: StoredMessage[];
}

export async function startSqsEmulator(options: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "111122223333";
  const now = options.now ?? Date.now;
  const queues = new Map<string, Queue>();
  const calls: SqsCall[] = [];
  const failures = new Map<string, number>();
  let endpoint = "";

  const queueOf = (input: Readonly<Record<string, unknown>>): Queue => {
    const url = input.QueueUrl;
    const queue = typeof url === "string" ? queues.get(queuePath(url)) : undefined;
    if (queue === undefined)
      throw new SqsServiceError(
        "com.amazonaws.sqs#QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
      );
    return queue;
  };

  const operations: Record<string, (input: Readonly<Record<string, unknown>>) => object> = {
    SendMessage(input) {
      const queue = queueOf(input);
      const body = input.MessageBody;
      if (typeof body !== "string" || body.length === 0)
        throw invalidParameter("The request must contain the parameter MessageBody.");
      if (Buffer.byteLength(body) > MAX_BODY_BYTES)
        throw invalidParameter("Message must be shorter than 1048576 bytes.");
      const delay = typeof input.DelaySeconds === "number" ? input.DelaySeconds : 0;
      const message: StoredMessage = {
        messageId: randomUUID(),
        body,
        sentAt: now(),
        receiveCount: 0,
        visibleAt: now() + delay * 1000,
        receiptHandle: undefined,
        firstReceivedAt: undefined,
      };
      queue.messages.push(message);
      return { MessageId: message.messageId, MD5OfMessageBody: md5(body) };
    },
    ChangeMessageVisibility(input) {
      const queue = queueOf(input);
      const handle = input.ReceiptHandle;
      const timeout = input.VisibilityTimeout;
      if (
        typeof timeout !== "number" ||
        !Number.isInteger(timeout) ||
        timeout < 0 ||
        timeout > MAX_VISIBILITY
      )
        throw invalidParameter(`Value ${String(timeout)} for parameter VisibilityTimeout is invalid.`);
      const message = queue.messages.find((m) => m.receiptHandle !== undefined && m.receiptHandle === handle);
      if (message === undefined)
        throw new SqsServiceError(
          "com.amazonaws.sqs#ReceiptHandleIsInvalid",
          "ReceiptHandleIsInvalid",
          "The input receipt handle is invalid.",
        );
      if (message.visibleAt <= now())
        throw new SqsServiceError(
          "com.amazonaws.sqs#MessageNotInflight",
          "AWS.SimpleQueueService.MessageNotInflight",
          "The message referred to isn't in flight.",
        );
      message.visibleAt = now() + timeout * 1000;
      return {};
    },
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = target.startsWith("AmazonSQS.") ? target.slice("AmazonSQS.".length) : "";
    let input: Readonly<Record<string, unknown>> = {};
    try {
      if (sigV4Scope(request, "sqs") === undefined)
        throw new SqsServiceError(
          "com.amazonaws.sqs#MissingAuthenticationToken",
          "MissingAuthenticationToken",
          "",
          403,
        );
      input = parseJson(body);
      const pending = failures.get(operation) ?? 0;
      if (pending > 0) {
        failures.set(operation, pending - 1);
        throw new SqsServiceError("com.amazonaws.sqs#InternalError", "InternalError", "injected", 500);
      }
      const run = operations[operation];
      if (run === undefined)
        throw new SqsServiceError(
          "com.amazonaws.sqs#UnsupportedOperation",
          "AWS.SimpleQueueService.UnsupportedOperation",
          operation,
        );
      const output = run(input);
      calls.push({ operation, input, status: 200 });
      sendJson(response, 200, output, SQS_JSON);
    } catch (error) {
      if (!(error instanceof SqsServiceError)) throw error;
      calls.push({ operation, input, status: error.status, errorType: error.type });
      response.setHeader("x-amzn-query-error", `${error.queryCode};Sender`);
      sendJson(response, error.status, { __type: error.type, message: error.message }, SQS_JSON);
    }
  }

  const server = await startAwsJsonServer(handle);
  endpoint = server.endpoint;

  return {
    endpoint,
    region,
    accountId,
    createQueue(name, queueOptions = {}) {
      const url = `${endpoint}/${accountId}/${name}`;
      queues.set(queuePath(url), {
        visibilityTimeoutSeconds: queueOptions.visibilityTimeoutSeconds ?? 30,
        messages: [],
      });
      return url;
    },
    messages(queueUrl) {
      return [...(queues.get(queuePath(queueUrl))?.messages ?? [])];
    },
    receive(queueUrl, max = 10) {
      const queue = queues.get(queuePath(queueUrl));
      if (queue === undefined) throw new Error(`no queue ${queueUrl}`);
      const at = now();
      return queue.messages
        .filter((m) => m.visibleAt <= at)
        .slice(0, max)
        .map((m) => {
          m.receiveCount++;
          m.receiptHandle = randomUUID();
          m.firstReceivedAt ??= at;
          m.visibleAt = at + queue.visibilityTimeoutSeconds * 1000;
          return {
            messageId: m.messageId,
            receiptHandle: m.receiptHandle,
            body: m.body,
            receiveCount: m.receiveCount,
            sentAt: m.sentAt,
            firstReceivedAt: m.firstReceivedAt,
            md5OfBody: md5(m.body),
          };
        });
    },
    deleteMessage(queueUrl, receiptHandle) {
      const queue = queues.get(queuePath(queueUrl));
      const index = queue?.messages.findIndex((m) => m.receiptHandle === receiptHandle) ?? -1;
      if (index >= 0) queue!.messages.splice(index, 1);
    },
    calls,
    failNext(operation, count) {
      failures.set(operation, count);
    },
    stop: () => server.stop(),
  };
}

const SQS_JSON = { protocol: "1.0" } as const;

function queuePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function invalidParameter(message: string): SqsServiceError {
  return new SqsServiceError(
    "com.amazonaws.sqs#InvalidParameterValueException",
    "InvalidParameterValue",
    message,
  );
}

function md5(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

function parseJson(body: Buffer): Readonly<Record<string, unknown>> {
  const parsed = parseJsonObject(body);
  if (parsed === undefined) {
    throw new SqsServiceError(
      "com.amazon.coral.service#SerializationException",
      "SerializationException",
      "",
    );
  }
  return parsed;
}
