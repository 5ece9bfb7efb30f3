// The one place registry HTTP requests are sent: authentication, redirects, retries with backoff,
// timeouts and the request hook. Everything above works with typed requests and responses.
// Credentials go to the registry's origin only: a request that would carry them anywhere else is
// refused here, whatever module built it, and redirects are followed by hand (redirect.ts).

import {
  CrossOriginError,
  parseOciErrors,
  RegistryConnectionError,
  RegistryError,
  RegistryProtocolError,
  redactUrl,
} from "../errors.ts";
import type { Authenticator } from "./auth.ts";
import { Deadline, idleGuard, type RequestTimeouts, TimeoutError } from "./deadline.ts";
import { checkRedirect, isRedirect, MAX_REDIRECTS, type RedirectPolicy } from "./redirect.ts";
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
  /** A streamed body's length, when known: sent as Content-Length, and it stretches the time limits. */
  readonly bodyLength?: number;
  /** Token scopes this request needs; undefined sends no credentials at all (token realm requests). */
  readonly scopes?: readonly string[];
  /** Default `same-origin`; blob downloads may follow a storage redirect (redirect.ts). */
  readonly redirect?: RedirectPolicy;
  readonly signal?: AbortSignal;
}

export interface TransportOptions {
  readonly fetch: typeof fetch;
  readonly retry: RetryPolicy;
  readonly timeouts: RequestTimeouts;
  /** The registry's origin (`https://ghcr.io`): the only one credentials are sent to. */
  readonly origin: string;
  /** Storage hosts on private addresses a blob download may be redirected to (configuration). */
  readonly allowedPrivateHosts?: readonly string[];
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

export class Transport {
  readonly #options: TransportOptions;
  #authenticator: Authenticator | undefined;
  /** Aborts every request of this view (a job attempt's deadline, a shutdown). */
  #signal: AbortSignal | undefined;

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  set authenticator(authenticator: Authenticator) {
    this.#authenticator = authenticator;
  }

  /** The same transport (options, authentication, token cache) with every request bound to `signal`. */
  withSignal(signal: AbortSignal | undefined): Transport {
    if (signal === undefined) return this;
    const bound = new Transport(this.#options);
    bound.#authenticator = this.#authenticator;
    bound.#signal = this.#signal === undefined ? signal : AbortSignal.any([this.#signal, signal]);
    return bound;
  }

  /**
   * Sends with retries and auth; resolves when headers arrive. The caller owns (and must consume) the
   * body, which errors after `idleMs` without a byte.
   */
  request(request: RegistryRequest): Promise<Response> {
    const idleMs = this.#options.timeouts.idleMs;
    return this.#exchange(request, async (response, deadline) => idleGuard(response, idleMs, deadline));
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
    original: RegistryRequest,
    consume: (response: Response, deadline: Deadline) => Promise<T>,
  ): Promise<T> {
    const signals = [original.signal, this.#signal].filter((s) => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const request: RegistryRequest = signal === undefined ? original : { ...original, signal };
    const policy = this.#options.retry;
    // A stream body can be sent once only.
    const replayable = !(request.body instanceof ReadableStream);
    if (request.scopes !== undefined) this.#checkCredentialOrigin(request);
    let authorization =
      request.scopes !== undefined ? await this.#authenticator?.authorize(request.scopes) : undefined;
    let authRetried = false;
    for (let attempt = 1; ; attempt++) {
      let result: T;
      try {
        result = await this.#attempt(request, authorization, attempt, consume);
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason ?? error;
        if (!isConnectionFailure(error)) throw error;
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

  /** A request carrying the registry's credentials goes to the registry's origin or nowhere. */
  #checkCredentialOrigin(request: RegistryRequest): void {
    let origin: string;
    try {
      origin = new URL(request.url).origin;
    } catch {
      throw new RegistryProtocolError(`${request.operation}: not a URL`);
    }
    if (origin !== this.#options.origin) {
      throw new CrossOriginError(request.operation, "a request", origin, this.#options.origin);
    }
  }

  async #attempt<T extends Response | BufferedResponse>(
    request: RegistryRequest,
    authorization: string | undefined,
    attempt: number,
    consume: (response: Response, deadline: Deadline) => Promise<T>,
  ): Promise<T> {
    const deadline = new Deadline(
      this.#options.timeouts,
      request.bodyLength ?? bodySize(request.body),
      request.signal,
    );
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
    let status: number | undefined;
    try {
      const response = await this.#send(request, headers, deadline);
      status = response.status;
      deadline.headersArrived();
      const result = await consume(response, deadline);
      report(status);
      return result;
    } catch (error) {
      // Our timer fired: report and throw the timeout, not the AbortError it caused.
      const failure = deadline.timedOut && !(error instanceof BodyTooLargeError) ? deadline.reason : error;
      report(status, failure);
      throw failure;
    } finally {
      deadline.settle();
    }
  }

  /** fetch with redirects followed by hand: on the request's origin, or (blob downloads) to storage. */
  async #send(request: RegistryRequest, headers: Headers, deadline: Deadline): Promise<Response> {
    const first = new URL(request.url);
    let url = first.href;
    let method = request.method;
    let body = request.body;
    for (let hops = 0; ; hops++) {
      const init: RequestInit & { duplex?: "half" } = {
        method,
        headers,
        signal: deadline.signal,
        redirect: "manual",
      };
      if (body !== undefined) {
        init.body = body as BodyInit;
        if (body instanceof ReadableStream) init.duplex = "half";
      }
      const response = await this.#options.fetch(url, init);
      const location = response.headers.get("location");
      if (!isRedirect(response.status) || location === null) return response;
      await discard(response);
      if (hops >= MAX_REDIRECTS) {
        throw new RegistryProtocolError(`${request.operation}: more than ${MAX_REDIRECTS} redirects`);
      }
      const next = checkRedirect(
        {
          operation: request.operation,
          policy: request.redirect ?? "same-origin",
          origin: first.origin,
          allowedPrivateHosts: this.#options.allowedPrivateHosts ?? [],
        },
        url,
        location,
      );
      // Credentials never leave the origin they belong to (nor do cookies: we send none).
      if (!next.sameOrigin) headers.delete("authorization");
      // RFC 9110 §15.4.4: 303 asks for a GET; 301 and 302 turn a POST into a GET in every client.
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === "POST")
      ) {
        method = "GET";
        body = undefined;
        headers.delete("content-type");
      } else if (body instanceof ReadableStream) {
        throw new RegistryProtocolError(`${request.operation}: redirected after a streamed body was sent`);
      }
      url = next.url.href;
    }
  }
}

/**
 * Errors that mean "no (complete) answer": whatever fetch or the body read threw, except our own
 * refusals. Runtimes disagree on the type (Node: `TypeError: fetch failed` with a cause, workerd:
 * `Error: Network connection lost.`, some `SocketError`), so none of them is matched by name.
 */
function isConnectionFailure(error: unknown): boolean {
  return !(
    error instanceof BodyTooLargeError ||
    error instanceof CrossOriginError ||
    error instanceof RegistryProtocolError
  );
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

/** The body's size in bytes (a string as sent, UTF-8), undefined for a stream. */
function bodySize(body: RequestBody | undefined): number | undefined {
  if (body === undefined) return 0;
  if (body instanceof ReadableStream) return undefined;
  return typeof body === "string" ? new TextEncoder().encode(body).length : body.length;
}

/** Lets the connection go back to the pool. */
async function discard(result: Response | BufferedResponse): Promise<void> {
  if (isBuffered(result)) return;
  if (result.body !== null && !result.bodyUsed) await result.body.cancel().catch(() => {});
}

function isBuffered(response: Response | BufferedResponse): response is BufferedResponse {
  return (response as BufferedResponse).buffered === true;
}
