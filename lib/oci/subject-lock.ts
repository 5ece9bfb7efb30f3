// Serialises read-modify-write updates of one subject's tag-schema index (and cosign `.sig` tags). The
// distribution-spec leaves concurrent updates to clients ("Concurrency and Race Conditions"); callers
// spanning processes plug in a distributed lock (a Durable Object, a DynamoDB lease) behind this interface.

export interface SubjectLock {
  /** Runs `fn` holding the lock on `key`; a lease-based lock passes a signal that aborts when it is lost. */
  withLock<T>(key: string, fn: (signal?: AbortSignal) => Promise<T>): Promise<T>;
}

/** Within one process: a promise chain per key, dropped once idle. */
export class InProcessSubjectLock implements SubjectLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async withLock<T>(key: string, fn: (signal?: AbortSignal) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    // No signal: an in-process lock cannot be lost. Called bare, so `fn` never sees the previous result.
    const start = () => fn();
    const run = previous.then(start, start);
    // The chain continues whether `fn` succeeded or not.
    const tail = run.catch(() => {});
    this.#tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with work queued or running (for tests and diagnostics). */
  get activeKeys(): number {
    return this.#tails.size;
  }
}
