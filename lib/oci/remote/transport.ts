// The one place registry HTTP requests are sent: authentication, retries with backoff, per-attempt
// timeouts and the request hook. Everything above works with typed requests and responses.

import { parseOciErrors, RegistryConnectionError, RegistryError, redactUrl } from "../errors.ts";
import type { Authenticator } from "./auth.ts";
import { isRetryableStatus, parseRetryAfter, type RetryPolicy, retryDelay, sleep } from "./retry.ts";

/** One HTTP attempt, reported to `onRequest` (benches and tests count requests per operation). */
export interface RequestEvent {
  /** `manifest.get`, `blob.upload.chunk`, `auth.token`, … */
  readonly operation: string;
  readonly method: string;
  /** Origin and path, no query. */
  readonly url: string;
  /** Absent when no response arrived. */
  readonly status?: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly durationMs: number;
  readonly error?: string;
}

export type RequestBody = Uint8Array | ReadableStream<Uint8Array> | string;

export interface RegistryRequest {
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  /** Token scopes this request needs; undefined sends no credentials at all (token realm requests). */
  readonly scopes?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface TransportOptions {
  readonly fetch: typeof fetch;
  readonly retry: RetryPolicy;
  /** Per attempt, until the headers arrive (and, for `requestBytes`, the whole body). */
  readonly timeoutMs: number;
  readonly onRequest?: (event: RequestEvent) => void;
  readonly userAgent?: string;
}

/** What `requestBytes` gives back: status and headers with the whole body, read within the attempt. */
export interface BufferedResponse {
  readonly buffered: true;
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
}

/** The body was larger than allowed; thrown from `requestBytes`, never retried. */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  readonly limit: number;
  readonly declared: number | undefined;
  constructor(limit: number, declared?: number) {
    super(`response body exceeds ${limit} bytes`);
    this.limit = limit;
    this.declared = declared;
  }
}

class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

export class Transport {
  readonly #options: TransportOptions;
  #authenticator: Authenticator | undefined;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  set authenticator(authenticator: Authenticator) {
    this.#authenticator = authenticator;
  }

  /** Sends with retries and auth; resolves when headers arrive. The caller owns (and must consume) the body. */
  request(request: RegistryRequest): Promise<Response> {
    return this.#exchange(request, async (response) => response);
  }

  /** Sends and reads the whole body (at most `limit` bytes) inside each attempt, so a cut body is retried. */
  requestBytes(request: RegistryRequest, limit: number): Promise<BufferedResponse> {
    return this.#exchange(request, async (response) => ({
      buffered: true as const,
      status: response.status,
      headers: response.headers,
      bytes: await readLimited(response, limit),
    }));
  }

  /** A RegistryError for an unexpected answer, with the OCI error body when there is one. */
  async errorFrom(request: RegistryRequest, response: Response | BufferedResponse): Promise<RegistryError> {
    const bytes = isBuffered(response)
      ? response.bytes
      : await readLimited(response, 64 * 1024).catch(() => undefined);
    const body = bytes === undefined ? "" : new TextDecoder().decode(bytes);
    return new RegistryError({
      operation: request.operation,
      method: request.method,
      url: request.url,
      status: response.status,
      errors: parseOciErrors(body),
    });
  }

  async #exchange<T extends Response | BufferedResponse>(
    request: RegistryRequest,
    consume: (response: Response) => Promise<T>,
  ): Promise<T> {
    const policy = this.#options.retry;
    // A stream body can be sent once only.
    const replayable = !(request.body instanceof ReadableStream);
    let authorization =
      request.scopes !== undefined ? await this.#authenticator?.authorize(request.scopes) : undefined;
    let authRetried = false;
    for (let attempt = 1; ; attempt++) {
      let result: T;
      try {
        result = await this.#attempt(request, authorization, attempt, consume);
      } catch (error) {
        if (!isConnectionFailure(error) || request.signal?.aborted) throw error;
        const wrapped = new RegistryConnectionError(
          request.operation,
          request.method,
          request.url,
          error instanceof TimeoutError,
          error,
        );
        if (!replayable || attempt >= policy.maxAttempts) throw wrapped;
        await sleep(retryDelay(attempt - 1, policy, undefined) ?? 0, request.signal);
        continue;
      }
      if (result.status === 401 && request.scopes !== undefined && this.#authenticator && !authRetried) {
        const next = await this.#authenticator.respond(
          result.headers.get("www-authenticate"),
          request.scopes,
          authorization,
        );
        if (next !== undefined && replayable) {
          authorization = next;
          authRetried = true;
          attempt--; // an authentication round trip is not a failed attempt
          await discard(result);
          continue;
        }
      }
      if (isRetryableStatus(result.status) && replayable && attempt < policy.maxAttempts) {
        const delay = retryDelay(attempt - 1, policy, parseRetryAfter(result.headers.get("retry-after")));
        if (delay !== undefined) {
          await discard(result);
          await sleep(delay, request.signal);
          continue;
        }
      }
      return result;
    }
  }

  async #attempt<T extends Response | BufferedResponse>(
    request: RegistryRequest,
    authorization: string | undefined,
    attempt: number,
    consume: (response: Response) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError("timed out")), this.#options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    const headers = new Headers(request.headers);
    if (authorization !== undefined) headers.set("authorization", authorization);
    if (this.#options.userAgent !== undefined) headers.set("user-agent", this.#options.userAgent);
    const started = Date.now();
    const report = (status?: number, error?: unknown) =>
      this.#options.onRequest?.({
        operation: request.operation,
        method: request.method,
        url: redactUrl(request.url),
        attempt,
        durationMs: Date.now() - started,
        ...(status !== undefined && { status }),
        ...(error !== undefined && { error: error instanceof Error ? error.name : "error" }),
      });
    const init: RequestInit & { duplex?: "half" } = {
      method: request.method,
      headers,
      signal,
      redirect: "follow",
    };
    if (request.body !== undefined) {
      init.body = request.body as BodyInit;
      if (request.body instanceof ReadableStream) init.duplex = "half";
    }
    let status: number | undefined;
    try {
      const response = await this.#options.fetch(request.url, init);
      status = response.status;
      const result = await consume(response);
      report(status);
      return result;
    } catch (error) {
      // Our timer fired: report and throw the timeout, not the AbortError it caused.
      const failure =
        controller.signal.aborted && !request.signal?.aborted && !(error instanceof BodyTooLargeError)
          ? controller.signal.reason
          : error;
      report(status, failure);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Errors that mean "no (complete) answer": fetch's TypeError, a cut body, our timeout. */
function isConnectionFailure(error: unknown): boolean {
  if (error instanceof BodyTooLargeError) return false;
  if (error instanceof TimeoutError) return true;
  if (error instanceof TypeError) return true;
  const name = error instanceof Error ? error.name : "";
  return name === "AbortError" || name === "SocketError" || name === "ECONNRESET" || name === "TimeoutError";
}

/** Reads a body, failing as soon as it exceeds `limit` (checked against Content-Length first). */
export async function readLimited(response: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(limit, declared);
  }
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

export function concat(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  const out = new Uint8Array(total ?? chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Lets the connection go back to the pool. */
async function discard(result: Response | BufferedResponse): Promise<void> {
  if (isBuffered(result)) return;
  if (result.body !== null && !result.bodyUsed) await result.body.cancel().catch(() => {});
}

function isBuffered(response: Response | BufferedResponse): response is BufferedResponse {
  return (response as BufferedResponse).buffered === true;
}
