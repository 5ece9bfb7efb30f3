// Typed errors of the registry client. Messages name the operation and the URL path, never
// credentials, tokens or upload-session query strings (distribution's `_state` is an HMAC'd secret).
import { z } from "zod";

/** One entry of the OCI error body (distribution-spec "Error Codes"). */
export interface OciErrorEntry {
  readonly code: string;
  readonly message?: string;
  readonly detail?: unknown;
}

const ErrorBody = z.object({
  errors: z.array(
    z.object({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() }).loose(),
  ),
});

/** Reads the OCI `{"errors":[…]}` body; anything else (HTML from a proxy, empty) gives []. */
export function parseOciErrors(body: string): OciErrorEntry[] {
  if (body.length === 0) return [];
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.errors : [];
  } catch {
    return [];
  }
}

export interface RegistryErrorInit {
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly errors?: readonly OciErrorEntry[];
  readonly cause?: unknown;
}

/** The registry answered with an unexpected status. */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
  readonly operation: string;
  readonly method: string;
  /** Origin and path only. */
  readonly url: string;
  readonly status: number;
  readonly errors: readonly OciErrorEntry[];

  constructor(init: RegistryErrorInit) {
    const url = redactUrl(init.url);
    const errors = init.errors ?? [];
    const detail = errors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join("; ");
    super(
      `${init.operation}: ${init.method} ${url} answered ${init.status}${detail ? ` (${detail})` : ""}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.operation = init.operation;
    this.method = init.method;
    this.url = url;
    this.status = init.status;
    this.errors = errors;
  }

  /** `MANIFEST_UNKNOWN`, `BLOB_UNKNOWN`, `DENIED`, `UNAUTHORIZED`, `NAME_UNKNOWN`, … */
  get codes(): string[] {
    return this.errors.map((e) => e.code);
  }

  hasCode(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

/** No answer at all (refused, reset, timed out) after the retries allowed. */
export class RegistryConnectionError extends Error {
  override readonly name = "RegistryConnectionError";
  readonly operation: string;
  readonly url: string;
  readonly timedOut: boolean;
  constructor(operation: string, method: string, url: string, timedOut: boolean, cause: unknown) {
    const where = redactUrl(url);
    super(`${operation}: ${method} ${where} ${timedOut ? "timed out" : "failed to connect or was cut"}`, {
      cause,
    });
    this.operation = operation;
    this.url = where;
    this.timedOut = timedOut;
  }
}

/**
 * The registry pointed a request that would carry its credentials (an upload `Location`, a redirect, a
 * token realm) at another origin. Never followed: credentials stay with the host they belong to. The
 * message names the foreign origin (scheme, host and port only).
 */
export class CrossOriginError extends Error {
  override readonly name = "CrossOriginError";
  readonly operation: string;
  /** `http://127.0.0.1:6000`: where the registry pointed. */
  readonly origin: string;
  /** The registry's own origin (or the token realm's, for a redirect of a token request). */
  readonly expected: string;
  constructor(operation: string, what: string, origin: string, expected: string, reason?: string) {
    super(
      `${operation}: ${what} points at ${origin}, not ${expected}${reason === undefined ? "" : ` (${reason})`}; not followed`,
    );
    this.operation = operation;
    this.origin = origin;
    this.expected = expected;
  }
}

/** Content did not hash to the digest it was asked for (or the registry claimed). */
export class DigestMismatchError extends Error {
  override readonly name = "DigestMismatchError";
  readonly expected: string;
  readonly actual: string;
  constructor(what: string, expected: string, actual: string, options?: ErrorOptions) {
    super(`${what}: expected ${expected}, content hashes to ${actual}`, options);
    this.expected = expected;
    this.actual = actual;
  }
}

/** Content longer or shorter than its descriptor says. */
export class SizeMismatchError extends Error {
  override readonly name = "SizeMismatchError";
  readonly expected: number;
  readonly actual: number;
  constructor(what: string, expected: number, actual: number) {
    super(`${what}: expected ${expected} bytes, got ${actual}${actual > expected ? " or more" : ""}`);
    this.expected = expected;
    this.actual = actual;
  }
}

export class ManifestTooLargeError extends Error {
  override readonly name = "ManifestTooLargeError";
  readonly limit: number;
  /** Declared or observed size, when known. */
  readonly size: number | undefined;
  constructor(what: string, limit: number, size?: number) {
    super(
      `${what}: manifest of ${size === undefined ? "more than " : ""}${size ?? limit} bytes exceeds the ${limit}-byte limit`,
    );
    this.limit = limit;
    this.size = size;
  }
}

/** The registry sent a body that is not what the protocol says (bad JSON, wrong media type). */
export class RegistryProtocolError extends Error {
  override readonly name: string = "RegistryProtocolError";
}

/** Manifest bytes that are not an image manifest or index: readers that report rather than fail catch this. */
export class InvalidManifestError extends RegistryProtocolError {
  override readonly name: string = "InvalidManifestError";
}

/** Authentication could not be completed (bad challenge, token endpoint refused). */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/** Strips query and credentials from a URL for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split("?")[0] ?? "";
  }
}
