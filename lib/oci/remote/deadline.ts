// The time limits of one registry request attempt (transport.ts): to the first byte, for the whole
// answer, and for silence in a streamed body. A request body stretches the first two by its size.
/**
 * Time limits of one attempt. The connect timeout belongs to the runtime's fetch (the Node pool sets
 * 10 s); workerd and Lambda have their own, and the first-byte limit bounds it everywhere.
 */
export interface RequestTimeouts {
  /** Until the response headers arrive, connecting included. */
  readonly firstByteMs: number;
  /** The whole exchange of an answer read whole (manifests, tokens, upload answers). */
  readonly requestMs: number;
  /** The longest silence while a streamed body (a blob download) is read. */
  readonly idleMs: number;
  /** Slowest upload speed tolerated: a request body adds `size / this` seconds to both limits above. */
  readonly minBytesPerSecond: number;
}

// A registry that never answers costs one attempt 20 s, a request at most five attempts and their
// backoff; the job's own deadline (lib/attach) ends the attempt before that adds up.
export const DEFAULT_TIMEOUTS: RequestTimeouts = {
  firstByteMs: 20_000,
  requestMs: 30_000,
  idleMs: 30_000,
  minBytesPerSecond: 64 * 1024,
};

/** Our own timer fired: "no (complete) answer", as transient as a reset. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/**
 * The timers of one attempt: first byte, then the whole exchange (answers read whole) or the silence
 * between chunks (streamed bodies, see `idleGuard`). A request body stretches both by its size.
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #timeouts: RequestTimeouts;
  readonly #extraMs: number;
  readonly #started = Date.now();
  readonly signal: AbortSignal;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;

  /** `bodyBytes`: the request body's size, 0 without one, undefined for a stream of unknown size. */
  constructor(timeouts: RequestTimeouts, bodyBytes: number | undefined, caller: AbortSignal | undefined) {
    this.#timeouts = timeouts;
    // A streamed body has no size to go by, and its answer comes only after the upload: the limits
    // are ten times the whole-request one (the caller's deadline bounds it further).
    this.#extraMs =
      bodyBytes === undefined ? timeouts.requestMs * 10 : (bodyBytes / timeouts.minBytesPerSecond) * 1000;
    this.signal =
      caller === undefined ? this.#controller.signal : AbortSignal.any([caller, this.#controller.signal]);
    this.#arm(timeouts.firstByteMs + this.#extraMs, "no answer");
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  get reason(): unknown {
    return this.#controller.signal.reason;
  }

  /** From now on the whole-request limit runs (counted from the start of the attempt). */
  headersArrived(): void {
    const left = this.#started + this.#timeouts.requestMs + this.#extraMs - Date.now();
    this.#arm(Math.max(0, left), "no complete answer");
  }

  /** The attempt is over; a streamed body read after it has the idle limit only (idleGuard). */
  settle(): void {
    clearTimeout(this.#timer);
  }

  #arm(ms: number, what: string): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(new TimeoutError(`${what} within ${Math.round(ms)} ms`));
    }, ms);
  }
}

/**
 * The response with a body that errors (TimeoutError) when no chunk arrives for `idleMs`, or when the
 * attempt's caller aborts: a stalled blob download fails and is resumed instead of hanging.
 */
export function idleGuard(response: Response, idleMs: number, deadline: Deadline): Response {
  if (response.body === null) return response;
  const reader = response.body.getReader();
  const caller = deadline.signal;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`no body bytes within ${idleMs} ms`)), idleMs);
      });
      try {
        const chunk = await Promise.race([reader.read(), stalled]);
        if (chunk.done) controller.close();
        else controller.enqueue(chunk.value);
      } catch (error) {
        await reader.cancel(error).catch(() => {});
        controller.error(caller.aborted ? (caller.reason ?? error) : error);
      } finally {
        clearTimeout(timer);
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
