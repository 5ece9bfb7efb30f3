// ECDSA signature encodings: DER `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 §2.2.3),
// which KMS returns and cosign stores, and raw r‖s with each integer left-padded to the curve size, which
// JWS requires (RFC 7518 §3.4) and WebCrypto produces.
import { SignatureEncodingError } from "./errors.ts";

const SEQUENCE = 0x30;
const INTEGER = 0x02;

/** DER → raw r‖s, each `coordinateLength` bytes (32 for P-256, 48 for P-384, 66 for P-521). */
export function ecdsaDerToRaw(der: Uint8Array, coordinateLength: number): Uint8Array<ArrayBuffer> {
  if (der[0] !== SEQUENCE) throw new SignatureEncodingError("ECDSA signature is not a DER SEQUENCE");
  const body = readLength(der, 1);
  if (body.end !== der.length) {
    throw new SignatureEncodingError("ECDSA DER signature length does not match its SEQUENCE length");
  }
  const r = readInteger(der, body.start, coordinateLength);
  const s = readInteger(der, r.end, coordinateLength);
  if (s.end !== der.length) throw new SignatureEncodingError("ECDSA DER signature has trailing bytes");
  const raw = new Uint8Array(coordinateLength * 2);
  raw.set(r.value, coordinateLength - r.value.length);
  raw.set(s.value, coordinateLength * 2 - s.value.length);
  return raw;
}

/** Raw r‖s → DER, with minimal positive INTEGERs (a 0x00 pad only before a high bit). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new SignatureEncodingError(`raw ECDSA signature has odd or zero length ${raw.length}`);
  }
  const half = raw.length / 2;
  const r = integerBytes(raw.subarray(0, half));
  const s = integerBytes(raw.subarray(half));
  const content = [INTEGER, ...encodeLength(r.length), ...r, INTEGER, ...encodeLength(s.length), ...s];
  return Uint8Array.from([SEQUENCE, ...encodeLength(content.length), ...content]);
}

function integerBytes(unsigned: Uint8Array): number[] {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const digits = Array.from(unsigned.subarray(start));
  return (digits[0] ?? 0) & 0x80 ? [0, ...digits] : digits;
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  if (length <= 0xff) return [0x81, length];
  return [0x82, length >> 8, length & 0xff];
}

/** Reads a DER length at `offset`; returns where the content starts and ends. */
function readLength(der: Uint8Array, offset: number): { start: number; end: number } {
  const first = der[offset];
  if (first === undefined) throw new SignatureEncodingError("ECDSA DER signature is truncated");
  if (first < 0x80) return { start: offset + 1, end: offset + 1 + first };
  // Long form: only 0x81 is possible for ECDSA up to P-521 (at most 139 bytes); DER forbids 0x81 < 0x80.
  const long = der[offset + 1];
  if (first !== 0x81 || long === undefined || long < 0x80) {
    throw new SignatureEncodingError("ECDSA DER signature has a non-minimal or unsupported length");
  }
  return { start: offset + 2, end: offset + 2 + long };
}

function readInteger(
  der: Uint8Array,
  offset: number,
  coordinateLength: number,
): { value: Uint8Array; end: number } {
  if (der[offset] !== INTEGER) throw new SignatureEncodingError("ECDSA DER signature: expected an INTEGER");
  const { start, end } = readLength(der, offset + 1);
  if (end > der.length || end === start) {
    throw new SignatureEncodingError("ECDSA DER signature: INTEGER is empty or truncated");
  }
  const first = der[start] ?? 0;
  if (first & 0x80) throw new SignatureEncodingError("ECDSA DER signature: negative INTEGER");
  if (first === 0 && end - start > 1 && ((der[start + 1] ?? 0) & 0x80) === 0) {
    throw new SignatureEncodingError("ECDSA DER signature: INTEGER is not minimally encoded");
  }
  const value = first === 0 ? der.subarray(start + 1, end) : der.subarray(start, end);
  if (value.length > coordinateLength) {
    throw new SignatureEncodingError(
      `ECDSA DER signature: INTEGER of ${value.length} bytes exceeds the curve size ${coordinateLength}`,
    );
  }
  return { value, end };
}
