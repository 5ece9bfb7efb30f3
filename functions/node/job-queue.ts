// The Node adapter's queue: attach jobs run in this process with bounded concurrency; retries wait
// out their backoff on a timer. Shutdown is bounded: running jobs get a drain period, then their
// signal aborts their requests. What is not finished stays in the store (queued, failed or running)
// and is picked up again at the next start: see `recoverJobs`.
import type { AttachJob, AttachJobResult, JobQueue } from "../../lib/attach/attach-job.ts";
import type { Store } from "../../lib/store/store.ts";

/**
 * Runs one attempt; `signal` is aborted when a shutdown's drain period is over, and `idle` frees the
 * job's slot while it only waits.
 */
export type RunJob = (
  job: AttachJob,
  attempt: number,
  options: { readonly signal: AbortSignal; readonly idle: <T>(wait: Promise<T>) => Promise<T> },
) => Promise<AttachJobResult>;

interface Pending {
  readonly job: AttachJob;
  readonly attempt: number;
}

export class QueueClosedError extends Error {
  override readonly name = "QueueClosedError";
  constructor() {
    super("the job queue is shutting down and accepts no new jobs");
  }
}

export class InProcessJobQueue implements JobQueue {
  readonly #run: RunJob;
  readonly #concurrency: number;
  readonly #ready: Pending[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #idleWaiters: Array<() => void> = [];
  /** Ids of jobs ready, running or waiting for a retry: a second copy of one is dropped. */
  readonly #pending = new Set<string>();
  #running = 0;
  /** Jobs that hold no slot while they wait (see idle): still pending, still keeping idle() away. */
  #waiting = 0;
  #closed = false;
  readonly #stop = new AbortController();

  constructor(options: { readonly run: RunJob; readonly concurrency: number }) {
    this.#run = options.run;
    this.#concurrency = Math.max(1, options.concurrency);
  }

  /**
   * `attempt` > 1 resumes a job that earlier attempts (in a previous process) did not finish. A job
   * already queued, running or waiting for its retry here is not queued twice (recoverJobs can list a
   * job that a webhook has just enqueued).
   */
  async enqueue(job: AttachJob, attempt = 1): Promise<void> {
    if (this.#closed) throw new QueueClosedError();
    if (this.#pending.has(job.jobId)) return;
    this.#pending.add(job.jobId);
    this.#accept(job, attempt);
  }

  /** Jobs waiting to start or running now (retries waiting on their backoff timer included). */
  get size(): number {
    return this.#ready.length + this.#running + this.#waiting + this.#timers.size;
  }

  /** Resolves when nothing is queued, running or waiting for a retry (tests and benches). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Graceful shutdown: refuses new jobs, drops retry timers (those jobs are `failed` in the store and
   * resume at the next start), and lets running and ready jobs finish for `drainMs` (default: as long
   * as they take). Then the running ones are aborted and the ready ones left for the next start.
   */
  async close(options: { readonly drainMs?: number } = {}): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    // Waiters from before the close may have been waiting on those timers alone.
    this.#pump();
    const drainMs = options.drainMs ?? Number.POSITIVE_INFINITY;
    if (Number.isFinite(drainMs)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        this.idle().then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), drainMs);
        }),
      ]);
      clearTimeout(timer);
      if (!drained) {
        this.#ready.length = 0;
        this.#stop.abort(new QueueClosedError());
      }
    }
    await this.idle();
  }

  #accept(job: AttachJob, attempt: number): void {
    if (this.#closed) throw new QueueClosedError();
    this.#ready.push({ job, attempt });
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#ready.length > 0 && !this.#stop.signal.aborted) {
      const next = this.#ready.shift() as Pending;
      this.#running++;
      void this.#execute(next);
    }
    if (this.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /**
   * A job that only waits gives its slot to the next one; it takes it back when the wait ends, even if
   * that briefly runs one job over the bound (what is left after a wait is a few store writes).
   */
  async #idleWhile<T>(wait: Promise<T>): Promise<T> {
    this.#running--;
    this.#waiting++;
    this.#pump();
    try {
      return await wait;
    } finally {
      this.#waiting--;
      this.#running++;
    }
  }

  async #execute({ job, attempt }: Pending): Promise<void> {
    let result: AttachJobResult;
    try {
      result = await this.#run(job, attempt, {
        signal: this.#stop.signal,
        idle: (wait) => this.#idleWhile(wait),
      });
    } catch {
      // The runner records its own failures; an escape here is a bug, retried like a transient fault.
      result = { kind: "retry", delayMs: 1_000 };
    }
    this.#running--;
    if (result.kind === "retry" && !this.#closed) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#closed) this.#accept(job, attempt + 1);
        else this.#pump();
      }, result.delayMs);
      this.#timers.add(timer);
    } else {
      this.#pending.delete(job.jobId);
    }
    this.#pump();
  }
}

/** Re-enqueues jobs a previous process left unfinished (queued, failed awaiting retry, or running). */
export async function recoverJobs(store: Store, queue: InProcessJobQueue): Promise<number> {
  let recovered = 0;
  for (const status of ["queued", "failed", "running"] as const) {
    for (const job of await store.listJobs({ status, limit: 500 })) {
      await queue.enqueue({ jobId: job.id, request: job.request }, job.attempts + 1);
      recovered++;
    }
  }
  return recovered;
}
