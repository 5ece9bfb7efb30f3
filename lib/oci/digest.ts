// Digests as the image-spec defines them (descriptor.md#digests): `algorithm ":" encoded`.
// Only the registered algorithms are accepted, with their exact encodings, so a digest that passes
// here can be used in a URL path and compared byte for byte.
import { asBufferSource, toHex } from "../encoding.ts";

const ENCODED_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };
const HASH_NAME: Readonly<Record<string, string>> = { sha256: "SHA-256", sha512: "SHA-512" };

export class InvalidDigestError extends Error {
  override readonly name = "InvalidDigestError";
  readonly digest: string;
  constructor(digest: string, reason: string, options?: ErrorOptions) {
    super(`invalid digest ${JSON.stringify(truncate(digest))}: ${reason}`, options);
    this.digest = digest;
  }
}

export interface ParsedDigest {
  readonly algorithm: string;
  readonly encoded: string;
}

/** Splits and validates a digest; throws InvalidDigestError naming what is wrong. */
export function parseDigest(digest: string): ParsedDigest {
  const colon = digest.indexOf(":");
  if (colon <= 0) throw new InvalidDigestError(digest, "expected <algorithm>:<hex>");
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  const length = ENCODED_LENGTH[algorithm];
  if (length === undefined) {
    throw new InvalidDigestError(digest, `unsupported algorithm ${JSON.stringify(truncate(algorithm))}`);
  }
  if (encoded.length !== length) {
    throw new InvalidDigestError(
      digest,
      `${algorithm} needs ${length} hex characters, got ${encoded.length}`,
    );
  }
  // image-spec: registered algorithms use lowercase hex only ([a-f0-9]).
  if (!/^[a-f0-9]+$/.test(encoded)) {
    throw new InvalidDigestError(digest, `${algorithm} must be lowercase hexadecimal`);
  }
  return { algorithm, encoded };
}

export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** `sha256:<64 lowercase hex>`: the only algorithm signature subjects and Notary digests use. */
export function isSha256Digest(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}

/** `algorithm:hex` of `bytes`, hashed with `algorithm` (default sha256). */
export async function digestOf(bytes: Uint8Array, algorithm = "sha256"): Promise<string> {
  const hashName = HASH_NAME[algorithm];
  if (hashName === undefined) throw new InvalidDigestError(`${algorithm}:`, "unsupported algorithm");
  const hash = await crypto.subtle.digest(hashName, asBufferSource(bytes));
  return `${algorithm}:${toHex(new Uint8Array(hash))}`;
}

/** The raw SHA-256 of `bytes` (cosign key hints and Rekor log ids are base64 of it). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", asBufferSource(bytes)));
}

/** Lowercase hex SHA-256 of `bytes`: a digest without its `sha256:` prefix. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
