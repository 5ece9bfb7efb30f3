// Retries for KMS calls. KMS throttles by design (about 300 ECC Sign calls per second per account and
// region by default), so ThrottlingException is routine, as are 5xx answers and dropped connections.
// This loop is the only retry layer: the clients we build have the SDK's own retries off
// (`maxAttempts: 1`), so a call is attempted at most `maxAttempts` times in all, never
// maxAttempts × the SDK's attempts, and every attempt runs under our timeout.

export interface KmsRetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Exponential backoff with full jitter: wait uniform(0, min(maxDelayMs, baseDelayMs × 2^retry)). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** One attempt's time limit; a timed-out attempt counts as a transient failure. */
  readonly attemptTimeoutMs: number;
}

export const defaultKmsRetryPolicy: KmsRetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  attemptTimeoutMs: 10_000,
};

/** AWS error names that say "try again": throttling and KMS's transient server-side conditions. */
const retryableCodes = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "KMSInternalException",
  "InternalFailure",
  "ServiceUnavailable",
  "DependencyTimeoutException",
  "KeyUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "AbortError",
]);

/** Socket-level failures (Node) that a new connection may not have. */
const networkCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ECONNABORTED",
]);

interface AwsLikeError {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** The error's AWS name, or `NetworkError` for a failure below HTTP. */
export function kmsErrorCode(error: unknown): string {
  if (isNetworkError(error)) return "NetworkError";
  const name = (error as AwsLikeError | undefined)?.name;
  return typeof name === "string" ? name : "Error";
}

export function isRetryableKmsError(error: unknown): boolean {
  if (isNetworkError(error)) return true;
  const e = error as AwsLikeError | undefined;
  if (typeof e?.name === "string" && retryableCodes.has(e.name)) return true;
  const status = e?.$metadata?.httpStatusCode;
  return typeof status === "number" && (status >= 500 || status === 429);
}

/**
 * No answer from KMS at all. fetch reports that without an AWS name or an HTTP status: Node as
 * `TypeError: fetch failed`, workerd as a plain `Error` (`Network connection lost.`), neither with
 * Node's error codes. Every AWS error has a name of its own and, once KMS answered, a status.
 */
function isNetworkError(error: unknown): boolean {
  const e = error as AwsLikeError | undefined;
  if (typeof e?.code === "string" && networkCodes.has(e.code)) return true;
  if (typeof e?.$metadata?.httpStatusCode === "number") return false;
  return error instanceof TypeError || (error instanceof Error && error.name === "Error");
}

export interface RetryOutcome<T> {
  readonly result: T;
  readonly attempts: number;
}

export class KmsAttemptsFailed extends Error {
  override readonly name = "KmsAttemptsFailed";
  readonly attempts: number;
  constructor(attempts: number, options: ErrorOptions) {
    super(`KMS call failed after ${attempts} attempt(s)`, options);
    this.attempts = attempts;
  }
}

/** Runs `call` until it succeeds, fails permanently, or the attempts run out (then throws KmsAttemptsFailed). */
export async function withKmsRetry<T>(
  call: (signal: AbortSignal) => Promise<T>,
  policy: KmsRetryPolicy,
): Promise<RetryOutcome<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: await call(AbortSignal.timeout(policy.attemptTimeoutMs)), attempts: attempt };
    } catch (error) {
      if (!isRetryableKmsError(error) || attempt >= policy.maxAttempts) {
        throw new KmsAttemptsFailed(attempt, { cause: error });
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
