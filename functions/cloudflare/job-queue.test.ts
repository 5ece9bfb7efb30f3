import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AttachJob, AttachJobResult } from "../../lib/attach/attach-job.ts";
import { diedOfTransientCause } from "../../lib/attach/failure.ts";
import { createLogger } from "../../lib/observability/logger.ts";
import { openSqliteStore, type SqliteStore } from "../node/sqlite-store.ts";
import type { QueueBatch, QueueMessage } from "./bindings.ts";
import { buryJobs, CloudflareJobQueue, consumeJobs, delaySeconds } from "./job-queue.ts";

interface Settled {
  acked: boolean;
  retried?: { delaySeconds?: number };
}

/** A message as the Queues runtime hands it over, recording how it was settled. */
function message(body: unknown, attempts = 1): QueueMessage & { settled: Settled } {
  const settled: Settled = { acked: false };
  return {
    id: crypto.randomUUID(),
    body,
    attempts,
    settled,
    ack() {
      settled.acked = true;
    },
    retry(options) {
      settled.retried = options ?? {};
    },
  };
}

const lines: string[] = [];
const logger = createLogger({ write: (line) => lines.push(line) });

function job(id: string): AttachJob {
  return {
    jobId: id,
    request: { registry: "127.0.0.1:5000", repository: "team/app", reference: "v1" },
  };
}

describe("the jobs queue consumer", () => {
  it("acks done jobs and retries the rest after their backoff, in whole seconds", async () => {
    const results: Record<string, AttachJobResult> = {
      a: { kind: "done" },
      b: { kind: "retry", delayMs: 1_200 },
      c: { kind: "retry", delayMs: 0 },
    };
    const seen: Array<[string, number]> = [];
    const messages = [message(job("a")), message(job("b"), 3), message(job("c"), 2)];
    await consumeJobs(
      { queue: "countersign-jobs", messages },
      async (j, attempt) => {
        seen.push([j.jobId, attempt]);
        return results[j.jobId]!;
      },
      logger,
    );
    expect(seen.sort()).toEqual([
      ["a", 1],
      ["b", 3],
      ["c", 2],
    ]);
    expect(messages.map((m) => m.settled)).toEqual([
      { acked: true },
      { acked: false, retried: { delaySeconds: 2 } },
      { acked: false, retried: { delaySeconds: 0 } },
    ]);
  });

  it("redelivers a job whose run throws, and drops a body that is not an attach job", async () => {
    const thrown = message(job("x"));
    const garbage = message({ hello: "world" });
    await consumeJobs(
      { queue: "countersign-jobs", messages: [thrown, garbage] },
      async () => {
        throw new Error("D1 unavailable");
      },
      logger,
    );
    expect(thrown.settled).toEqual({ acked: false, retried: { delaySeconds: 5 } });
    expect(garbage.settled).toEqual({ acked: true });
    expect(lines.some((l) => l.includes("not an attach job"))).toBe(true);
  });

  it("caps delays at the 12 hours Queues allow", () => {
    expect(delaySeconds(1)).toBe(1);
    expect(delaySeconds(86_400_000)).toBe(43_200);
  });

  it("enqueues a job as a JSON message", async () => {
    const sent: Array<[unknown, unknown]> = [];
    const queue = new CloudflareJobQueue({
      async send(body, options) {
        sent.push([body, options]);
      },
    });
    await queue.enqueue(job("q"));
    expect(sent).toEqual([[job("q"), { contentType: "json" }]]);
  });
});

describe("the dead-letter queue consumer", () => {
  let store: SqliteStore;
  beforeEach(async () => {
    store = await openSqliteStore(":memory:");
  });
  afterEach(() => store.close());

  it("records a dead-lettered job as dead with its last error, and leaves finished jobs alone", async () => {
    const failing = await store.createJob({ request: job("").request });
    await store.updateJob(failing.id, { status: "failed", attempts: 3, lastError: "registry answered 503" });
    const finished = await store.createJob({ request: job("").request });
    await store.updateJob(finished.id, { status: "succeeded" });
    const batch: QueueBatch = {
      queue: "countersign-jobs-dlq",
      messages: [message(job(failing.id), 11), message(job(finished.id), 11), message("garbage", 11)],
    };
    await buryJobs(batch, store, logger);
    expect(batch.messages.every((m) => (m as ReturnType<typeof message>).settled.acked)).toBe(true);
    const dead = await store.getJob(failing.id);
    expect(dead?.status).toBe("dead");
    expect(dead?.lastError).toBe(
      "gave up after the queue's delivery attempts (dead-letter queue countersign-jobs-dlq): registry answered 503",
    );
    // Recorded as a transient death: a redelivered webhook event runs the job again.
    expect(diedOfTransientCause(dead!)).toBe(true);
    expect(dead?.finishedAt).toBeDefined();
    expect((await store.getJob(finished.id))?.status).toBe("succeeded");
  });
});
