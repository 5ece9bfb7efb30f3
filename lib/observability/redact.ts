// The one place that decides what may leave the process in a log line. Redaction happens on the way
// out, whatever the caller passed: secret-named keys are replaced, and credentials embedded in strings
// (Authorization values, URL userinfo, `?token=` query values) are scrubbed.

export const REDACTED = "[REDACTED]";

/** Keys compared after lowercasing and dropping `-` and `_`: `X-Hub-Signature-256` → `xhubsignature256`. */
const SECRET_KEYS = new Set([
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "xhubsignature",
  "xhubsignature256",
  "xjfrogeventauth",
  "xapikey",
  "apikey",
  "xamzsecuritytoken",
  "privatekey",
  "clientsecret",
]);

/** Any key containing one of these is secret too (`password`, `registryPassword`, `idToken`, `secretKey`). */
const SECRET_KEY_PARTS = ["password", "passwd", "secret", "token", "credential", "cookie", "privatekey"];

function normalizedKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

export function isSecretKey(key: string): boolean {
  const normalized = normalizedKey(key);
  return SECRET_KEYS.has(normalized) || SECRET_KEY_PARTS.some((part) => normalized.includes(part));
}

/**
 * Query parameters whose values are credentials: Docker Hub and Quay webhooks authenticate with
 * `?token=`, registries' token endpoints and pre-signed URLs with the others.
 */
const SECRET_QUERY_PARAMETERS = new Set([
  "token",
  "accesstoken",
  "access_token",
  "idtoken",
  "id_token",
  "refreshtoken",
  "refresh_token",
  "password",
  "secret",
  "apikey",
  "api_key",
  "key",
  "sig",
  "signature",
  "code",
  "xamzsignature",
  "xamzcredential",
  "xamzsecuritytoken",
  "_state",
]);

export function isSecretQueryParameter(name: string, extra: ReadonlySet<string> = EMPTY): boolean {
  const lower = name.toLowerCase();
  return (
    SECRET_QUERY_PARAMETERS.has(lower) ||
    SECRET_QUERY_PARAMETERS.has(normalizedKey(lower)) ||
    extra.has(lower) ||
    isSecretKey(lower)
  );
}

const EMPTY: ReadonlySet<string> = new Set();

// `Bearer <token>`, `Basic <base64>`, and other RFC 9110 auth-schemes with a token68 credential.
const AUTH_SCHEME = /\b(Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256)\s+[A-Za-z0-9._~+/=:,-]+/gi;
// `scheme://user:password@host`.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi;
// `?token=…`/`&password=…` anywhere in a string (a URL inside an error message).
const QUERY_SECRET = /([?&])([^=&#\s]+)=([^&#\s]*)/g;
// A compact JWS/JWT: three base64url parts, the first starting with `eyJ` (`{"`).
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
// PEM private keys pasted into a message.
const PEM_PRIVATE = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

/** Scrubs credentials out of free text (error messages, URLs, header values). */
export function scrubString(text: string, extraQueryParameters: ReadonlySet<string> = EMPTY): string {
  return text
    .replace(PEM_PRIVATE, REDACTED)
    .replace(AUTH_SCHEME, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(URL_USERINFO, (_match, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(JWT, REDACTED)
    .replace(QUERY_SECRET, (match, separator: string, name: string) =>
      isSecretQueryParameter(name, extraQueryParameters) ? `${separator}${name}=${REDACTED}` : match,
    );
}

/**
 * A URL's path and query for a log line: the query kept for debugging, but the value of every secret
 * parameter (the built-in list plus `extraQueryParameters`, e.g. configured webhook token names) replaced.
 */
export function redactedPathAndQuery(url: URL, extraQueryParameters: ReadonlySet<string> = EMPTY): string {
  if (url.search === "") return url.pathname;
  const parts: string[] = [];
  for (const [name, value] of url.searchParams) {
    const shown = isSecretQueryParameter(name, extraQueryParameters) ? REDACTED : encodeURIComponent(value);
    parts.push(`${encodeURIComponent(name)}=${shown}`);
  }
  return `${url.pathname}?${parts.join("&")}`;
}

const MAX_DEPTH = 8;

/** A JSON-safe copy of `value` with secret keys replaced and strings scrubbed. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubString(value);
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" ? value.toString() : value;
  }
  if (depth >= MAX_DEPTH) return "[…]";
  if (value instanceof Error) return redactError(value, depth);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redactedPathAndQuery(value);
  if (value instanceof Headers) return redactValue(Object.fromEntries(value), depth);
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : redactValue(item, depth + 1);
  }
  return out;
}

/** Name, scrubbed message and the cause chain; no stack (it can quote source lines holding literals). */
function redactError(error: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: scrubString(error.message) };
  if (error.cause !== undefined) out.cause = redactValue(error.cause, depth + 1);
  return out;
}
