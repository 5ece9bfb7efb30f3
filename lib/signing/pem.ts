// PEM (RFC 7468): base64 DER between "-----BEGIN <label>-----" and "-----END <label>-----" lines.
// Strict (§3): padded base64 and no headers, as Go's encoding/pem (cosign, notation) reads it too.
import { fromBase64, toBase64 } from "../encoding.ts";
import { KeyFormatError } from "./errors.ts";

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array<ArrayBuffer>;
}

const blockPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order; text between blocks (e.g. openssl's "subject=" lines) is ignored. */
export function decodePem(text: string): PemBlock[] {
  return [...text.matchAll(blockPattern)].map((match) => decodeBlock(match[1] ?? "", match[2] ?? ""));
}

/** The DER of every block labelled `label`, in order; blocks with other labels are skipped undecoded. */
export function pemBlocks(text: string, label: string): Uint8Array<ArrayBuffer>[] {
  return [...text.matchAll(blockPattern)]
    .filter((match) => match[1] === label)
    .map((match) => decodeBlock(label, match[2] ?? "").der);
}

export function encodePem(label: string, der: Uint8Array): string {
  const base64 = toBase64(der);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function decodeBlock(label: string, text: string): PemBlock {
  const body = text.replace(/\s+/g, "");
  // RFC 7468 §2 allows headers only in legacy encrypted keys ("Proc-Type: 4,ENCRYPTED").
  if (body.includes(":")) throw new KeyFormatError(`PEM block "${label}" has headers (an encrypted key?)`);
  return { label, der: decodeBase64(body, label) };
}

function decodeBase64(base64: string, what: string): Uint8Array<ArrayBuffer> {
  // Padded base64, so the length is a multiple of four.
  if (base64.length % 4 !== 0) throw new KeyFormatError(`${what}: invalid base64`);
  try {
    return fromBase64(base64);
  } catch {
    throw new KeyFormatError(`${what}: invalid base64`);
  }
}
