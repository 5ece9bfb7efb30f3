// The edge between raw bytes and typed payloads: decode strictly, validate with zod, and turn every
// failure into a WebhookPayloadError whose message names the field (e.g. `events.0.target.digest`).
import type { z } from "zod";
import { fromUtf8 } from "../encoding.ts";
import { type PayloadIssue, WebhookPayloadError } from "./errors.ts";
import { MAX_WEBHOOK_BODY_BYTES } from "./limits.ts";
import type { WebhookDelivery } from "./source.ts";

const MAX_ISSUES_IN_MESSAGE = 5;

export function decodeJson(bytes: Uint8Array, what: string): unknown {
  if (bytes.byteLength > MAX_WEBHOOK_BODY_BYTES) {
    throw new WebhookPayloadError(`${what} exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes`);
  }
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch (cause) {
    throw new WebhookPayloadError(`${what} is not valid UTF-8`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    // The parser's own message quotes the input; keep it in `cause` only.
    throw new WebhookPayloadError(`${what} is not valid JSON`, { cause });
  }
}

export function readJsonBody(delivery: WebhookDelivery): unknown {
  return decodeJson(delivery.body, "body");
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter((part) => part !== "").join(".");
}

/**
 * Validates `value` against `schema`. `at` prefixes issue paths when validating a part of the payload
 * (e.g. `events.3`), so the message still points into the body the sender posted.
 */
export function validatePayload<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  kind: string,
  at = "",
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: PayloadIssue[] = result.error.issues.map((issue) => ({
    path: joinPath(at, issue.path),
    message: issue.message,
  }));
  const shown = issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map((issue) => `${issue.path || "(body)"}: ${issue.message}`)
    .join("; ");
  const more =
    issues.length > MAX_ISSUES_IN_MESSAGE ? ` (and ${issues.length - MAX_ISSUES_IN_MESSAGE} more)` : "";
  throw new WebhookPayloadError(`invalid ${kind} payload: ${shown}${more}`, { cause: result.error, issues });
}

/** Media type of a Content-Type header, lowercased, without parameters. */
export function mediaTypeOf(headers: Headers): string {
  return (headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Throws the WebhookPayloadError for one problem found outside a schema (a cross-field check). */
export function rejectPayload(kind: string, path: string, message: string): never {
  throw new WebhookPayloadError(`invalid ${kind} payload: ${path || "(body)"}: ${message}`, {
    issues: [{ path, message }],
  });
}
