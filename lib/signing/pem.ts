// PEM (RFC 7468): base64 DER between "-----BEGIN <label>-----" and "-----END <label>-----" lines.
import { KeyFormatError } from "./errors.ts";

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const blockPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order; text between blocks (e.g. openssl's "subject=" lines) is ignored. */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(blockPattern)) {
    const label = match[1] ?? "";
    const body = (match[2] ?? "").replace(/\s+/g, "");
    // RFC 7468 §2 allows headers only in legacy encrypted keys ("Proc-Type: 4,ENCRYPTED").
    if (body.includes(":")) throw new KeyFormatError(`PEM block "${label}" has headers (an encrypted key?)`);
    blocks.push({ label, der: decodeBase64(body, label) });
  }
  return blocks;
}

export function encodePem(label: string, der: Uint8Array): string {
  const base64 = encodeBase64(der);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function decodeBase64(base64: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw new KeyFormatError(`${what}: invalid base64`);
  }
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}
