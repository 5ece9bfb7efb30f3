// Certificate subject names: an object form, and the RFC 4514 string form users type
// ("CN=Countersign, O=Example, C=US"). RFC 4514 writes the most specific RDN first, the reverse of
// the DER order, which runs from C down to CN (`openssl req -subj /C=US/O=Example/CN=...`).
import { CertificateError } from "./errors.ts";

export interface CertificateSubject {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly locality?: string;
  readonly state?: string;
  readonly country?: string;
}

/** One attribute, by its RFC 4514 short name; in DER order when part of a list. */
export interface NameAttribute {
  readonly type: "C" | "ST" | "L" | "O" | "OU" | "CN";
  readonly value: string;
}

export const attributeOids: Readonly<Record<NameAttribute["type"], string>> = {
  C: "2.5.4.6",
  ST: "2.5.4.8",
  L: "2.5.4.7",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  CN: "2.5.4.3",
};

const derOrder: readonly [NameAttribute["type"], keyof CertificateSubject][] = [
  ["C", "country"],
  ["ST", "state"],
  ["L", "locality"],
  ["O", "organization"],
  ["OU", "organizationalUnit"],
  ["CN", "commonName"],
];

/** Attributes in DER order, from either form. */
export function nameAttributes(subject: CertificateSubject | string): NameAttribute[] {
  const attributes =
    typeof subject === "string"
      ? parseDistinguishedName(subject)
      : derOrder.flatMap(([type, field]) => {
          const value = subject[field];
          return value === undefined ? [] : [{ type, value }];
        });
  for (const { type, value } of attributes) {
    if (value.length === 0 || value.length > 64) {
      throw new CertificateError(`subject ${type} must be 1 to 64 characters (RFC 5280 upper bounds)`);
    }
    if (type === "C" && !/^[A-Z]{2}$/.test(value)) {
      throw new CertificateError(`subject C must be a two-letter country code, not "${value}"`);
    }
  }
  if (!attributes.some((a) => a.type === "CN")) throw new CertificateError("subject needs a CN");
  return attributes;
}

/** Parses "CN=a, O=b\, c" (RFC 4514 §3, with `\` escapes) into attributes in DER order. */
export function parseDistinguishedName(text: string): NameAttribute[] {
  const attributes: NameAttribute[] = [];
  for (const part of splitUnescaped(text)) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/s.exec(part);
    const type = match?.[1]?.toUpperCase();
    if (!match || !type || !Object.hasOwn(attributeOids, type)) {
      throw new CertificateError(
        `cannot read "${part.trim()}" in subject "${text}": expected TYPE=value with TYPE one of ${Object.keys(attributeOids).join(", ")}`,
      );
    }
    attributes.push({ type: type as NameAttribute["type"], value: unescapeValue(match[2] ?? "") });
  }
  return attributes.reverse();
}

function splitUnescaped(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      current += c + text[++i];
    } else if (c === "," || c === "+") {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}
