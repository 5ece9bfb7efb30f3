import { afterEach, describe, expect, it, vi } from "vitest";
import type { AttachJob, AttachJobResult } from "../../lib/attach/attach-job.ts";
import type { JobStatus } from "../../lib/store/store.ts";
import { InProcessJobQueue, QueueClosedError, type RunJob, recoverJobs } from "./job-queue.ts";
import { openSqliteStore } from "./sqlite-store.ts";

function job(id: string): AttachJob {
  return { jobId: id, request: { registry: "127.0.0.1:5000", repository: "team/app", reference: "v1" } };
}

/** A promise resolved from outside: a job that runs until the test lets it finish. */
function gate<T = AttachJobResult>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A runner whose runs the test finishes one by one; records concurrency and every (job, attempt). */
function controlledRunner() {
  const calls: Array<{ id: string; attempt: number }> = [];
  const gates = new Map<string, ReturnType<typeof gate<AttachJobResult>>>();
  let running = 0;
  let maxRunning = 0;
  const run: RunJob = async (j, attempt) => {
    calls.push({ id: j.jobId, attempt });
    running++;
    maxRunning = Math.max(maxRunning, running);
    const g = gate();
    gates.set(`${j.jobId}#${attempt}`, g);
    try {
      return await g.promise;
    } finally {
      running--;
    }
  };
  return {
    run,
    calls,
    get running() {
      return running;
    },
    get maxRunning() {
      return maxRunning;
    },
    finish(id: string, attempt = 1, result: AttachJobResult = { kind: "done" }) {
      const g = gates.get(`${id}#${attempt}`);
      if (g === undefined) throw new Error(`${id}#${attempt} is not running`);
      g.open(result);
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe("InProcessJobQueue", () => {
  it("never runs more than `concurrency` jobs at once, and starts the next as one finishes", async () => {
    const runner = controlledRunner();
    const queue = new InProcessJobQueue({ run: runner.run, concurrency: 2 });
    for (let i = 0; i < 6; i++) await queue.enqueue(job(`j${i}`));
    await tick();
    expect(runner.calls.map((c) => c.id)).toEqual(["j0", "j1"]);
    expect(queue.size).toBe(6);
    runner.finish("j1");
    await tick();
    expect(runner.calls.map((c) => c.id)).toEqual(["j0", "j1", "j2"]);
    expect(runner.running).toBe(2);
    for (const id of ["j0", "j2", "j3", "j4", "j5"]) {
      await tick();
      runner.finish(id);
    }
    await queue.idle();
    expect(runner.calls.map((c) => c.id)).toEqual(["j0", "j1", "j2", "j3", "j4", "j5"]);
    expect(runner.maxRunning).toBe(2);
    expect(queue.size).toBe(0);
  });

  it("a concurrency below 1 still runs jobs, one at a time", async () => {
    const runner = controlledRunner();
    const queue = new InProcessJobQueue({ run: runner.run, concurrency: 0 });
    await queue.enqueue(job("a"));
    await queue.enqueue(job("b"));
    await tick();
    expect(runner.running).toBe(1);
    runner.finish("a");
    await tick();
    runner.finish("b");
    await queue.idle();
    expect(runner.maxRunning).toBe(1);
  });

  it("waits out a retry's delay, then runs the next attempt", async () => {
    vi.useFakeTimers();
    const runner = controlledRunner();
    const queue = new InProcessJobQueue({ run: runner.run, concurrency: 1 });
    await queue.enqueue(job("r"));
    runner.finish("r", 1, { kind: "retry", delayMs: 250 });
    await vi.advanceTimersByTimeAsync(0);
    // Waiting on its timer, the job still counts.
    expect(queue.size).toBe(1);
    await vi.advanceTimersByTimeAsync(249);
    expect(runner.calls).toEqual([{ id: "r", attempt: 1 }]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runner.calls).toEqual([
      { id: "r", attempt: 1 },
      { id: "r", attempt: 2 },
    ]);
    runner.finish("r", 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.size).toBe(0);
    await queue.idle();
  });

  it("a job that only waits (idle) lends its slot to the next job, and still counts until it ends", async () => {
    const order: string[] = [];
    let endWait: () => void = () => {};
    const queue = new InProcessJobQueue({
      concurrency: 1,
      run: async (j, _attempt, { idle }) => {
        order.push(`start ${j.jobId}`);
        if (j.jobId === "waiter") await idle(new Promise<void>((resolve) => (endWait = resolve)));
        order.push(`end ${j.jobId}`);
        return { kind: "done" };
      },
    });
    await queue.enqueue(job("waiter"));
    await queue.enqueue(job("other"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual(["start waiter", "start other", "end other"]);
    expect(queue.size).toBe(1);
    endWait();
    await queue.idle();
    expect(order.at(-1)).toBe("end waiter");
  });

  it("a runner that throws is retried a second later with the next attempt number", async () => {
    vi.useFakeTimers();
    const attempts: number[] = [];
    const queue = new InProcessJobQueue({
      concurrency: 1,
      run: async (_job, attempt) => {
        attempts.push(attempt);
        if (attempt === 1) throw new Error("escaped");
        return { kind: "done" };
      },
    });
    await queue.enqueue(job("t"));
    await vi.advanceTimersByTimeAsync(999);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toEqual([1, 2]);
    await queue.idle();
  });

  it("does not queue a job that is already queued, running or waiting for its retry", async () => {
    vi.useFakeTimers();
    const runner = controlledRunner();
    const queue = new InProcessJobQueue({ run: runner.run, concurrency: 1 });
    await queue.enqueue(job("busy"));
    await queue.enqueue(job("next"));
    await queue.enqueue(job("next"));
    await queue.enqueue(job("busy"), 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.size).toBe(2);
    runner.finish("busy", 1, { kind: "retry", delayMs: 100 });
    await vi.advanceTimersByTimeAsync(0);
    await queue.enqueue(job("busy"));
    runner.finish("next");
    await vi.advanceTimersByTimeAsync(100);
    runner.finish("busy", 2);
    await vi.advanceTimersByTimeAsync(0);
    await queue.idle();
    expect(runner.calls).toEqual([
      { id: "busy", attempt: 1 },
      { id: "next", attempt: 1 },
      { id: "busy", attempt: 2 },
    ]);
    // Finished, it may be queued again (a later redelivery runs and finds its work done).
    await queue.enqueue(job("busy"));
    await vi.advanceTimersByTimeAsync(0);
    runner.finish("busy", 1);
    await queue.idle();
    expect(runner.calls).toHaveLength(4);
  });

  it("close() drains running and ready jobs, drops retry timers, and refuses new jobs", async () => {
    const runner = controlledRunner();
    const queue = new InProcessJobQueue({ run: runner.run, concurrency: 1 });
    await queue.enqueue(job("retrying"));
    runner.finish("retrying", 1, { kind: "retry", delayMs: 60_000 });
    await tick();
    await queue.enqueue(job("running"));
    await queue.enqueue(job("ready"));
    await tick();
    expect(runner.running).toBe(1);
    const idleBefore = queue.idle();

    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await expect(queue.enqueue(job("late"))).rejects.toBeInstanceOf(QueueClosedError);
    await expect(queue.enqueue(job("late"))).rejects.toThrow(/shutting down/);
    await tick();
    expect(closed).toBe(false);
    runner.finish("running");
    await tick();
    // The ready job still runs: it was accepted before the close.
    expect(runner.calls.map((c) => c.id)).toEqual(["retrying", "running", "ready"]);
    expect(closed).toBe(false);
    runner.finish("ready", 1, { kind: "retry", delayMs: 10 });
    await closing;
    await idleBefore;
    expect(closed).toBe(true);
    expect(queue.size).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Neither the dropped retry nor the retry asked for during the close ran again.
    expect(runner.calls.map((c) => c.id)).toEqual(["retrying", "running", "ready"]);
  });

  it("close() releases idle() waiters that were waiting on a dropped retry timer alone", async () => {
    const runner = controlledRunner();
    const queue = new InProcessJobQueue({ run: runner.run, concurrency: 1 });
    await queue.enqueue(job("later"));
    runner.finish("later", 1, { kind: "retry", delayMs: 60_000 });
    await tick();
    expect(queue.size).toBe(1);
    let idle = false;
    const waiting = queue.idle().then(() => {
      idle = true;
    });
    await queue.close();
    await Promise.race([waiting, new Promise((resolve) => setTimeout(resolve, 200))]);
    expect(idle).toBe(true);
  });

  it("close() on an idle queue resolves at once", async () => {
    const queue = new InProcessJobQueue({ run: async () => ({ kind: "done" }), concurrency: 1 });
    await queue.close();
    await expect(queue.enqueue(job("x"))).rejects.toBeInstanceOf(QueueClosedError);
  });
});

describe("recoverJobs", () => {
  it("re-enqueues queued, failed and running jobs from the store, each at its next attempt", async () => {
    const store = await openSqliteStore(":memory:");
    try {
      const seed = async (id: string, status: JobStatus, attempts: number) => {
        await store.createJob({
          id,
          request: {
            registry: "127.0.0.1:5000",
            repository: `team/${id}`,
            reference: "v1",
            digest: `sha256:${"a".repeat(64)}`,
          },
        });
        if (status !== "queued" || attempts > 0) await store.updateJob(id, { status, attempts });
      };
      await seed("queued", "queued", 0);
      await seed("failed", "failed", 2);
      await seed("crashed", "running", 3);
      await seed("done", "succeeded", 1);
      await seed("dead", "dead", 5);

      const calls: Array<{ id: string; attempt: number; repository: string }> = [];
      const queue = new InProcessJobQueue({
        concurrency: 4,
        run: async (j, attempt) => {
          calls.push({ id: j.jobId, attempt, repository: j.request.repository });
          return { kind: "done" };
        },
      });
      expect(await recoverJobs(store, queue)).toBe(3);
      await queue.idle();
      expect(calls.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
        { id: "crashed", attempt: 4, repository: "team/crashed" },
        { id: "failed", attempt: 3, repository: "team/failed" },
        { id: "queued", attempt: 1, repository: "team/queued" },
      ]);
    } finally {
      store.close();
    }
  });
});
