// Sorting failures into "try again later" and "give up with a reason" (DESIGN.md: transient failures
// retry with backoff, permanent ones land in a dead-letter record).
import { TimestampAuthorityError } from "../formats/timestamp/client.ts";
import { AuthenticationError, RegistryConnectionError, RegistryError } from "../oci/errors.ts";
import { isUploadSessionLost } from "../oci/remote/blob-upload.ts";
import { isRetryableStatus } from "../oci/remote/retry.ts";
import { KmsError } from "../signing/errors.ts";
import { JobExistsError, JobNotFoundError, StoreError } from "../store/errors.ts";

/** Another worker holds the claim on this signature: try again once it has finished. */
export class SignatureBusyError extends Error {
  override readonly name = "SignatureBusyError";
}

export function isTransient(error: unknown): boolean {
  if (error instanceof SignatureBusyError) return true;
  if (error instanceof RegistryConnectionError) return true;
  // The same statuses the registry client retries itself: 429 and 5xx except 501 and 505, which
  // answer the same forever. A lost upload session is not a refusal: the next attempt opens another.
  if (error instanceof RegistryError) return isRetryableStatus(error.status) || isUploadSessionLost(error);
  // A token service that is down or throttling is not a refusal of our credentials.
  if (error instanceof AuthenticationError)
    return error.status !== undefined && isRetryableStatus(error.status);
  if (error instanceof KmsError) return error.retryable;
  // A TSA that failed or answered badly: retry, never write the signature without its timestamp.
  if (error instanceof TimestampAuthorityError) return true;
  // Lock timeouts, lost leases and backend failures pass; a missing or duplicate job will not.
  if (error instanceof JobNotFoundError || error instanceof JobExistsError) return false;
  if (error instanceof StoreError) return true;
  return false;
}

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000, factor: 2 };

/**
 * Delay before the attempt after `attempt` (counted from 1): exponential, capped, with "equal jitter"
 * (half fixed, half random) so that 20 jobs failing together do not come back together.
 */
export function retryDelayMs(
  attempt: number,
  backoff: Backoff = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, attempt - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** A message safe to store and show over REST: the error's own message (lib errors never carry secrets). */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
