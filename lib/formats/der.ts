// The few DER (X.690 §8, §10) operations done by hand: slicing raw TLVs out of a certificate, whose
// signed bytes must be taken exactly as they arrived, and re-encoding ECDSA signatures.

export class DerError extends Error {
  override readonly name = "DerError";
}

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
}

/** Reads one TLV at `offset` (single-byte tags, definite lengths: all DER allows for X.509). */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError("truncated DER: no room for tag and length");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte DER tags are not used in X.509");
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError("indefinite or oversized DER length");
    if (contentStart + count > limit) throw new DerError("truncated DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError("DER content runs past its container");
  return { tag, start: offset, contentStart, end };
}

/** The TLVs directly inside a constructed TLV. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readTlv(bytes, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return [0x80 | octets.length, ...octets];
}

function encodeUnsignedInteger(magnitude: Uint8Array): number[] {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = Array.from(magnitude.subarray(start));
  // A set high bit would read as negative (X.690 §8.3.3): prefix a zero octet.
  if ((body[0] ?? 0) & 0x80) body.unshift(0);
  if (body.length === 0) body.push(0);
  return [0x02, ...encodeLength(body.length), ...body];
}

/** JWS r‖s (RFC 7518 §3.4) to the DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3) that cosign and DSSE carry. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new DerError("raw ECDSA signature has odd length");
  const half = raw.length / 2;
  const body = [
    ...encodeUnsignedInteger(raw.subarray(0, half)),
    ...encodeUnsignedInteger(raw.subarray(half)),
  ];
  return new Uint8Array([0x30, ...encodeLength(body.length), ...body]);
}

/** DER `Ecdsa-Sig-Value` to r‖s, each left-padded to the curve's field size in bytes (32, 48 or 66). */
export function ecdsaDerToRaw(der: Uint8Array, fieldSize: number): Uint8Array<ArrayBuffer> {
  const sequence = readTlv(der, 0);
  if (sequence.tag !== 0x30 || sequence.end !== der.length) throw new DerError("not a DER ECDSA signature");
  const parts = children(der, sequence);
  if (parts.length !== 2 || parts.some((part) => part.tag !== 0x02)) {
    throw new DerError("DER ECDSA signature must hold exactly two INTEGERs");
  }
  const raw = new Uint8Array(fieldSize * 2);
  parts.forEach((part, index) => {
    let value = der.subarray(part.contentStart, part.end);
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > fieldSize) throw new DerError("ECDSA integer larger than the curve allows");
    raw.set(value, index * fieldSize + fieldSize - value.length);
  });
  return raw;
}
