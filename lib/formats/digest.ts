// OCI digests (image-spec descriptor.md "Digests"): `sha256:<64 lowercase hex>`.
import { asBufferSource, toHex } from "../encoding.ts";

export const Sha256DigestPattern = /^sha256:[0-9a-f]{64}$/;

export async function sha256(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", asBufferSource(bytes)));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

/** `sha256:<hex>` of the bytes. */
export async function digestOf(bytes: Uint8Array): Promise<string> {
  return `sha256:${await sha256Hex(bytes)}`;
}

export function isSha256Digest(value: string): boolean {
  return Sha256DigestPattern.test(value);
}
