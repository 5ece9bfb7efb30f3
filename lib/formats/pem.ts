// PEM (RFC 7468) armour for keys and certificates.
import { fromBase64, toBase64 } from "../encoding.ts";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The DER of every PEM block labelled `label`, in order. */
export function pemBlocks(text: string, label: string): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (const match of text.matchAll(BLOCK)) {
    if (match[1] === label) out.push(fromBase64(match[2]!.replace(/\s+/g, "")));
  }
  return out;
}

export function toPem(der: Uint8Array, label: string): string {
  const body = toBase64(der).replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
