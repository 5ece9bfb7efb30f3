// Sorting failures into "try again later" and "give up with a reason" (DESIGN.md: transient failures
// retry with backoff, permanent ones land in a dead-letter record).
import { TimestampAuthorityError } from "../formats/timestamp/client.ts";
import { AuthenticationError, RegistryConnectionError, RegistryError } from "../oci/errors.ts";
import { isUploadSessionLost } from "../oci/remote/blob-upload.ts";
import { isRetryableStatus } from "../oci/remote/retry.ts";
import { KmsError } from "../signing/errors.ts";
import { JobExistsError, JobNotFoundError, StoreError } from "../store/errors.ts";
import type { Job } from "../store/store.ts";

/** The job attempt deadline: a registry that never answers ends an attempt after this. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 90_000;
/** Shutdown: running jobs get this long before their requests are aborted. */
export const DEFAULT_DRAIN_MS = 10_000;

/**
 * An attempt cut short: its deadline passed, or the process is shutting down. What it signed stays
 * signed; the next attempt carries on after the backoff.
 */
export class AttemptAbortedError extends Error {
  override readonly name = "AttemptAbortedError";
  readonly why: "deadline" | "shutdown";
  constructor(why: "deadline" | "shutdown", detail: string) {
    super(detail);
    this.why = why;
  }
}

/** Another worker holds the claim on this signature: try again once it has finished. */
export class SignatureBusyError extends Error {
  override readonly name = "SignatureBusyError";
}

export function isTransient(error: unknown): boolean {
  if (error instanceof SignatureBusyError || error instanceof AttemptAbortedError) return true;
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

/**
 * How a dead job's `lastError` begins when transient failures outlasted its attempts (the registry or
 * KMS unreachable for long, the queue's deliveries used up), as opposed to a refusal that would answer
 * the same next time. The store keeps no other trace of the difference.
 */
const GAVE_UP = "gave up after ";

/** `lastError` of a job given up after `attempts` attempts that failed transiently. */
export function gaveUp(attempts: string | number, cause: string): string {
  return `${GAVE_UP}${typeof attempts === "number" ? `${attempts} attempts` : attempts}: ${cause}`;
}

/** A dead job whose failures were all transient: a redelivery of its event deserves another run. */
export function diedOfTransientCause(job: Pick<Job, "status" | "lastError">): boolean {
  return job.status === "dead" && (job.lastError?.startsWith(GAVE_UP) ?? false);
}

/** A message safe to store and show over REST: the error's own message (lib errors never carry secrets). */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
