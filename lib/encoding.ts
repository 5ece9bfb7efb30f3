// Byte encodings every layer of lib puts on the wire: base64 (HTTP Basic per RFC 7617 §2, cosign
// annotations, Sigstore bundles, PEM, x5c per RFC 7515 §4.1.6), base64url without padding (JWS, RFC 7515
// §2), lowercase hex (digests), UTF-8. Below lib/oci, so that oci, signing, formats and webhooks share it.
// Web standards only: atob/btoa and TextEncoder exist in workerd, Node and Lambda alike.

const CHUNK = 0x8000;
const encoder = new TextEncoder();

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked: spreading a whole blob into String.fromCharCode overflows the argument limit.
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** Base64 of the UTF-8 bytes of `text`, e.g. an RFC 7617 `user-id ":" password`. */
export function base64FromText(text: string): string {
  return toBase64(encoder.encode(text));
}

/** Strict standard base64 (padding optional); throws `SyntaxError` on anything else. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new SyntaxError("not base64");
  return fromForgivingBase64(text);
}

/**
 * WHATWG forgiving-base64 decode (what `atob` does): ASCII whitespace is dropped and padding is optional.
 * For values people paste by hand (a Docker config `auth`, a JWK member); throws on anything else.
 */
export function fromForgivingBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Base64url without padding (RFC 7515 §2); throws `SyntaxError` on anything else. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new SyntaxError("not base64url");
  return fromBase64(text.replace(/-/g, "+").replace(/_/g, "/"));
}

export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new SyntaxError("not hex");
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing `TypeError` on malformed input rather than inventing U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}

/**
 * TypeScript's DOM lib types WebCrypto inputs as ArrayBuffer-backed views only (TS 5.7+), while our
 * interfaces carry plain `Uint8Array` (possibly over a SharedArrayBuffer): narrow without copying when we can.
 */
export function asBufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
