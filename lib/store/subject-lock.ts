// Per-subject mutual exclusion over the store's leases. The fallback tag index and the cosign `.sig`
// tag are read-modify-write on the registry, and the distribution spec leaves concurrent updates to
// clients (spec.md "Referrers Tag Schema"), so every writer of one subject goes through this.
import type { SubjectLock } from "../oci/subject-lock.ts";
import { LockLostError, LockTimeoutError } from "./errors.ts";
import type { Store } from "./store.ts";

export type LockStore = Pick<Store, "acquireLock" | "releaseLock">;

export interface SubjectLockOptions {
  /** Lease length; renewed every third of it while `fn` runs. Default 30 s. */
  readonly leaseMs?: number;
  /** How long to wait for a held lock before LockTimeoutError. Default 60 s. */
  readonly timeoutMs?: number;
  /** Backoff between attempts: full jitter between `minDelayMs` and an exponential cap. */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Lock owner id; defaults to a random UUID per call, so two calls in one process exclude each other. */
  readonly owner?: string;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MIN_DELAY_MS = 10;
const DEFAULT_MAX_DELAY_MS = 1_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` while holding the lease on `key`, retrying with backoff until acquired or `timeoutMs`. */
export async function withSubjectLock<T>(
  store: LockStore,
  key: string,
  fn: (signal: AbortSignal) => Promise<T>,
  options: SubjectLockOptions = {},
): Promise<T> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const owner = options.owner ?? crypto.randomUUID();
  await acquire(store, key, owner, leaseMs, options);
  const heartbeat = new Heartbeat(store, key, owner, leaseMs);
  try {
    const result = await fn(heartbeat.signal);
    await heartbeat.stop();
    if (heartbeat.lost !== undefined) throw heartbeat.lost;
    return result;
  } finally {
    await heartbeat.stop();
    // A failed release is not the caller's failure: the lease expires on its own.
    await store.releaseLock(key, owner).catch(() => false);
  }
}

/** A SubjectLock bound to a store, for code that takes the interface rather than the store. */
export function subjectLock(store: LockStore, options: Omit<SubjectLockOptions, "owner"> = {}): SubjectLock {
  return { withLock: (key, fn) => withSubjectLock(store, key, fn, options) };
}

async function acquire(
  store: LockStore,
  key: string,
  owner: string,
  leaseMs: number,
  options: SubjectLockOptions,
): Promise<void> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const minDelay = options.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
  const maxDelay = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const started = now();
  for (let attempt = 0; ; attempt++) {
    if (await store.acquireLock(key, owner, leaseMs)) return;
    const remaining = started + timeoutMs - now();
    if (remaining <= 0) throw new LockTimeoutError(key, now() - started);
    // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): waiters spread out
    // instead of retrying in lockstep against the same row.
    const cap = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 20));
    const delay = minDelay + Math.random() * Math.max(0, cap - minDelay);
    await sleep(Math.min(remaining, delay));
  }
}

/** Renews the lease while the critical section runs; aborts `signal` when renewal fails. */
class Heartbeat {
  readonly #controller = new AbortController();
  readonly #store: LockStore;
  readonly #key: string;
  readonly #owner: string;
  readonly #leaseMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing: Promise<void> | undefined;
  #stopped = false;
  lost: LockLostError | undefined;

  constructor(store: LockStore, key: string, owner: string, leaseMs: number) {
    this.#store = store;
    this.#key = key;
    this.#owner = owner;
    this.#leaseMs = leaseMs;
    this.#schedule();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops renewing; waits for a renewal in flight so it cannot re-take the lease after release. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#renewing;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#renewing = this.#renew();
    }, this.#leaseMs / 3);
  }

  async #renew(): Promise<void> {
    if (this.#stopped) return;
    try {
      if (await this.#store.acquireLock(this.#key, this.#owner, this.#leaseMs)) {
        this.#schedule();
        return;
      }
      this.lost = new LockLostError(this.#key);
    } catch (error) {
      this.lost = new LockLostError(this.#key, { cause: error });
    }
    this.#controller.abort(this.lost);
  }
}
