// Typed errors of lib, each mapped to one problem type at the edge. `detail` carries only messages that
// their modules promise are free of secrets; anything unrecognized is a 500 whose detail says nothing.
import { z } from "zod";
import { QueueUnavailableError, ReferenceRefusedError } from "../attach/intake.ts";
import { UnconfiguredRegistryError } from "../attach/registries.ts";
import { scrubString } from "../observability/redact.ts";
import {
  AuthenticationError,
  CrossOriginError,
  RegistryConnectionError,
  RegistryError,
} from "../oci/errors.ts";
import { InvalidReferenceError } from "../oci/reference.ts";
import { StoreError } from "../store/errors.ts";
import { WebhookAuthError, WebhookAuthUnavailableError, WebhookPayloadError } from "../webhooks/errors.ts";
import { type FieldIssue, HttpProblem, type ProblemType, ProblemTypes } from "./problem.ts";
import { ImageNotFoundError, ReadDeadlineError } from "./registry-reads.ts";
import { BodyTooLargeError } from "./request-body.ts";

export interface MappedProblem {
  readonly problem: ProblemType;
  readonly detail: string;
  readonly errors?: readonly FieldIssue[];
  readonly headers?: Readonly<Record<string, string>>;
  /** A server-side failure worth an error log line (5xx), as opposed to the caller's mistake. */
  readonly serverFault: boolean;
}

/** Dotted path of a zod issue (`formats.0`), `""` for the value itself. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
}

/** `detail` for a validation failure: the first few fields by name, so a 400 says what to fix. */
export function describeIssues(issues: readonly FieldIssue[], where: string): string {
  const shown = issues.slice(0, 5).map((issue) => `${issue.path || "(body)"}: ${issue.message}`);
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
  return `invalid ${where}: ${shown.join("; ")}${more}`;
}

function mapped(problem: ProblemType, detail: string, extra: Partial<MappedProblem> = {}): MappedProblem {
  return { problem, detail: scrubString(detail), serverFault: problem.status >= 500, ...extra };
}

export function problemForError(error: unknown): MappedProblem {
  if (error instanceof HttpProblem) {
    return mapped(error.problem, error.detail, {
      ...(error.errors !== undefined && { errors: error.errors }),
      headers: error.headers,
    });
  }
  if (error instanceof WebhookAuthError) {
    return mapped(ProblemTypes.webhookUnauthorized, error.message);
  }
  if (error instanceof WebhookAuthUnavailableError) {
    return mapped(ProblemTypes.authUnavailable, error.message, { headers: { "Retry-After": "30" } });
  }
  if (error instanceof WebhookPayloadError) {
    return mapped(ProblemTypes.invalidWebhookPayload, error.message, { errors: error.issues });
  }
  if (error instanceof BodyTooLargeError) return mapped(ProblemTypes.payloadTooLarge, error.message);
  if (error instanceof InvalidReferenceError) return mapped(ProblemTypes.invalidReference, error.message);
  if (error instanceof z.ZodError) {
    const errors = zodIssues(error);
    return mapped(ProblemTypes.invalidRequest, describeIssues(errors, "request"), { errors });
  }
  if (error instanceof ReferenceRefusedError || error instanceof UnconfiguredRegistryError) {
    return mapped(ProblemTypes.referenceNotAllowed, error.message);
  }
  if (error instanceof QueueUnavailableError) {
    return mapped(ProblemTypes.queueUnavailable, error.message, { headers: { "Retry-After": "5" } });
  }
  if (error instanceof StoreError) {
    // Driver messages can quote SQL and values; the log line keeps them, the client gets the class.
    return mapped(ProblemTypes.storeUnavailable, `the store failed (${error.name})`, {
      headers: { "Retry-After": "5" },
    });
  }
  if (error instanceof ImageNotFoundError) return mapped(ProblemTypes.imageNotFound, error.message);
  if (error instanceof ReadDeadlineError) {
    return mapped(ProblemTypes.registryTimeout, error.message, { headers: { "Retry-After": "30" } });
  }
  // lib/oci messages name the operation, method and a redacted URL (or an origin): safe and useful.
  if (
    error instanceof RegistryError ||
    error instanceof RegistryConnectionError ||
    error instanceof CrossOriginError
  ) {
    return mapped(ProblemTypes.registryError, error.message);
  }
  if (error instanceof AuthenticationError) {
    return mapped(ProblemTypes.registryError, `authenticating to the registry failed: ${error.message}`);
  }
  return mapped(ProblemTypes.internal, "an internal error occurred; the request id finds it in the logs");
}
