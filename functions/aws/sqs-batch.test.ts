import type { SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { AttachJob, AttachJobResult } from "../../lib/attach/attach-job.ts";
import { silentLogger } from "../../lib/observability/logger.ts";
import { processSqsBatch, type SqsWorker } from "./sqs-batch.ts";

const job = (jobId: string): AttachJob => ({
  jobId,
  request: { registry: "127.0.0.1:5000", repository: "team/app", reference: "v1" },
});

function record(messageId: string, body: unknown, receiveCount = "1"): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: receiveCount,
      SentTimestamp: "1700000000000",
      SenderId: "AROAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1700000000001",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:jobs",
    awsRegion: "us-east-1",
  };
}

function worker(results: Record<string, AttachJobResult | Error>, delayFails = false) {
  const runs: Array<{ jobId: string; attempt: number }> = [];
  const delays: Array<{ receiptHandle: string; delayMs: number }> = [];
  const value: SqsWorker = {
    async runJob(j, attempt) {
      runs.push({ jobId: j.jobId, attempt });
      const result = results[j.jobId] ?? { kind: "done" };
      if (result instanceof Error) throw result;
      return result;
    },
    async delay(receiptHandle, delayMs) {
      if (delayFails) throw new Error("SQS unavailable");
      delays.push({ receiptHandle, delayMs });
    },
    fallbackDelayMs: (attempt) => attempt * 1000,
    logger: silentLogger,
  };
  return { value, runs, delays };
}

describe("processSqsBatch", () => {
  it("lists exactly the messages whose job asked for a retry or threw, in batch order", async () => {
    const w = worker({ b: { kind: "retry", delayMs: 2500 }, c: new Error("store down") });
    const event: SQSEvent = {
      Records: [record("m1", job("a")), record("m2", job("b")), record("m3", job("c"), "3")],
    };
    const response = await processSqsBatch(event, w.value);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }, { itemIdentifier: "m3" }] });
    expect(w.delays).toEqual([
      { receiptHandle: "handle-m2", delayMs: 2500 },
      { receiptHandle: "handle-m3", delayMs: 3000 },
    ]);
  });

  it("takes the attempt number from ApproximateReceiveCount", async () => {
    const w = worker({});
    await processSqsBatch(
      { Records: [record("m1", job("a"), "4"), record("m2", job("b"), "garbage")] },
      w.value,
    );
    expect(w.runs).toEqual([
      { jobId: "a", attempt: 4 },
      { jobId: "b", attempt: 1 },
    ]);
  });

  it("fails a message that is not an attach job without running anything, and makes it visible at once", async () => {
    const w = worker({});
    const response = await processSqsBatch(
      {
        Records: [
          record("m1", "not json"),
          record("m2", { jobId: "x" }),
          record("m3", { ...job("y"), formats: ["pgp"] }),
        ],
      },
      w.value,
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(["m1", "m2", "m3"]);
    expect(w.runs).toEqual([]);
    expect(w.delays.map((d) => d.delayMs)).toEqual([0, 0, 0]);
  });

  it("still reports the retry when the visibility change fails", async () => {
    const w = worker({ a: { kind: "retry", delayMs: 1000 } }, true);
    const response = await processSqsBatch({ Records: [record("m1", job("a"))] }, w.value);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });
  });

  it("answers an empty batch with no failures", async () => {
    expect(await processSqsBatch({ Records: [] }, worker({}).value)).toEqual({ batchItemFailures: [] });
  });
});
