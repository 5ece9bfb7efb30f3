// cosign's AWS KMS key reference: `awskms://[endpoint]/<key id | key ARN | alias/name | alias ARN>`
// (sigstore/sigstore pkg/signature/kms/aws/client.go). The endpoint is optional: `awskms:///alias/x`.
import { KmsKeyUriError } from "./errors.ts";

export const kmsKeyUriScheme = "awskms://";

export type KmsKeyKind = "key-id" | "key-arn" | "alias-name" | "alias-arn";

export interface KmsKeyUri {
  /** The URI as given. */
  readonly uri: string;
  /** Base URL of the KMS endpoint named in the URI; absent when the SDK's configuration decides. */
  readonly endpoint?: string;
  /** What KMS calls take as `KeyId`: key id, key ARN, `alias/name` or alias ARN. */
  readonly keyId: string;
  readonly kind: KmsKeyKind;
  /** The region of an ARN: KMS keys are regional, so only that region can answer for it. */
  readonly region?: string;
}

// Key ids are UUIDs, or `mrk-` + 32 hex digits for multi-Region keys. Alias names are limited to
// [a-zA-Z0-9/_-] by KMS (CreateAlias); cosign's `alias/.*` is looser but KMS would refuse the rest.
const keyIdPattern = "(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";
const aliasPattern = "alias/[A-Za-z0-9/_-]+";
const arnPrefix = "arn:aws(?:-us-gov|-cn)?:kms:([a-z0-9-]+):\\d{12}:";
const forms: readonly [KmsKeyKind, RegExp][] = [
  ["key-id", new RegExp(`^${keyIdPattern}$`, "i")],
  ["key-arn", new RegExp(`^${arnPrefix}key/${keyIdPattern}$`, "i")],
  ["alias-name", new RegExp(`^${aliasPattern}$`)],
  ["alias-arn", new RegExp(`^${arnPrefix}${aliasPattern}$`)],
];

const grammar = "awskms://[endpoint]/<key id | key ARN | alias/name | alias ARN>";

export function isKmsKeyUri(text: string): boolean {
  return text.startsWith(kmsKeyUriScheme);
}

export function parseKmsKeyUri(uri: string): KmsKeyUri {
  if (!isKmsKeyUri(uri)) throw new KmsKeyUriError(`not an AWS KMS key URI: expected ${grammar}`);
  const shown = withoutUserinfo(uri);
  const rest = uri.slice(kmsKeyUriScheme.length);
  const slash = rest.indexOf("/");
  if (slash < 0) throw new KmsKeyUriError(`AWS KMS key URI "${shown}" has no key: expected ${grammar}`);
  const host = rest.slice(0, slash);
  const keyId = rest.slice(slash + 1);
  for (const [kind, pattern] of forms) {
    const match = pattern.exec(keyId);
    if (!match) continue;
    const region = match[1];
    return {
      uri,
      keyId,
      kind,
      ...(host ? { endpoint: endpointUrl(host, shown) } : {}),
      ...(region ? { region } : {}),
    };
  }
  throw new KmsKeyUriError(`AWS KMS key URI "${shown}" does not name a key: expected ${grammar}`);
}

/**
 * cosign always prefixes the endpoint with https://. Loopback endpoints (LocalStack, emulators) speak
 * plain HTTP, so for those alone we use http://; anything else stays https (set AWS_ENDPOINT_URL_KMS
 * for a plain-HTTP endpoint elsewhere).
 */
function endpointUrl(host: string, uri: string): string {
  if (host.includes("@"))
    throw new KmsKeyUriError(`AWS KMS key URI "${uri}": the endpoint must be host[:port] only`);
  let url: URL;
  try {
    url = new URL(`https://${host}`);
  } catch (error) {
    throw new KmsKeyUriError(`AWS KMS key URI "${uri}" has an invalid endpoint`, { cause: error });
  }
  if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) {
    throw new KmsKeyUriError(`AWS KMS key URI "${uri}": the endpoint must be host[:port] only`);
  }
  const scheme = isLoopback(url.hostname) ? "http" : "https";
  return `${scheme}://${url.host}`;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Credentials have no place in a key URI; if someone put them there, keep them out of messages. */
function withoutUserinfo(uri: string): string {
  return uri.replace(/^awskms:\/\/[^/]*@/, "awskms://***@");
}
