// Sorting failures into "try again later" and "give up with a reason" (DESIGN.md: transient failures
// retry with backoff, permanent ones land in a dead-letter record).
import { RegistryConnectionError, RegistryError } from "../oci/errors.ts";
import { KmsError } from "../signing/errors.ts";
import { LockTimeoutError } from "../store/errors.ts";

/** Another worker holds the claim on this signature: try again once it has finished. */
export class SignatureBusyError extends Error {
  override readonly name = "SignatureBusyError";
}

export function isTransient(error: unknown): boolean {
  if (error instanceof SignatureBusyError || error instanceof LockTimeoutError) return true;
  if (error instanceof RegistryConnectionError) return true;
  if (error instanceof RegistryError) return error.status === 429 || error.status >= 500;
  if (error instanceof KmsError) return error.retryable;
  return false;
}

/** Full-jitter exponential backoff for a job's next attempt: 1 s, 2 s, 4 s … capped at 5 min. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(300_000, 1_000 * 2 ** Math.max(0, attempt - 1));
  return Math.max(250, Math.floor(random() * cap));
}

/** A message safe to store and show over REST: the error's own message (lib errors never carry secrets). */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
