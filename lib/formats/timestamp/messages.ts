// RFC 3161 messages read and written by hand over DER TLVs (der.ts): the request (§2.4.1), the
// response (§2.4.2) and the TSTInfo inside the token. The token's CMS layer is token.ts.
import { toHex } from "../../encoding.ts";
import type { HashName } from "../../signing/algorithm.ts";
import { children, DerError, readTlv, type Tlv } from "../der.ts";
import { HashOid, hashOfOid } from "../signature-oid.ts";

export class TimestampFormatError extends Error {
  override readonly name = "TimestampFormatError";
}

/** notation's tspclient and the Notary spec: an unset accuracy under the baseline policy means 1 s. */
const BaselineTimestampPolicy = "0.4.0.2023.1.1";

export interface TstInfo {
  readonly policy: string;
  readonly hash: HashName;
  readonly hashedMessage: Uint8Array;
  readonly serialNumber: string;
  readonly genTime: Date;
  /** In milliseconds (RFC 3161 Accuracy: seconds, millis, micros rounded up). */
  readonly accuracyMs: number;
  readonly nonce?: bigint;
  /** The DER of the whole TSTInfo: what the token's message-digest attribute covers. */
  readonly der: Uint8Array;
}

// ---- encoding (the request) ----

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return [0x80 | bytes.length, ...bytes];
}

export function derTlv(tag: number, ...content: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const length = content.reduce((sum, part) => sum + part.length, 0);
  const head = [tag, ...encodeLength(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head);
  let offset = head.length;
  for (const part of content) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function encodeOid(oid: string): Uint8Array<ArrayBuffer> {
  const [first = 0, second = 0, ...rest] = oid.split(".").map(Number);
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift(value % 128);
      if (value < 128) break;
    }
    bytes.push(...groups.map((group, i) => (i < groups.length - 1 ? group | 0x80 : group)));
  }
  return derTlv(0x06, new Uint8Array(bytes));
}

/** A non-negative INTEGER, minimal DER (a leading zero only to keep the sign bit clear). */
export function encodeInteger(value: bigint): Uint8Array<ArrayBuffer> {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = hex.match(/../g)!.map((pair) => Number.parseInt(pair, 16));
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return derTlv(0x02, new Uint8Array(bytes));
}

export interface TimestampRequestOptions {
  readonly hash: HashName;
  readonly hashedMessage: Uint8Array;
  readonly nonce?: bigint;
  /** Ask the TSA to include its certificate (tspclient-go does, unless NoCert). */
  readonly certReq: boolean;
}

/** TimeStampReq (RFC 3161 §2.4.1): version 1, messageImprint, nonce, certReq; as tspclient-go marshals it. */
export function encodeTimestampRequest(options: TimestampRequestOptions): Uint8Array<ArrayBuffer> {
  const algorithm = derTlv(0x30, encodeOid(HashOid[options.hash]), new Uint8Array([0x05, 0x00]));
  const imprint = derTlv(0x30, algorithm, derTlv(0x04, options.hashedMessage));
  return derTlv(
    0x30,
    encodeInteger(1n),
    imprint,
    ...(options.nonce !== undefined ? [encodeInteger(options.nonce)] : []),
    // DEFAULT FALSE is omitted in DER (X.690 §11.5).
    ...(options.certReq ? [new Uint8Array([0x01, 0x01, 0xff])] : []),
  );
}

// ---- decoding ----

export function decodeOid(bytes: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== 0x06) throw new TimestampFormatError("expected an OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let value = 0;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if (!(bytes[i]! & 0x80)) {
      if (arcs.length === 0)
        arcs.push(Math.min(2, Math.floor(value / 40)), value - Math.min(2, Math.floor(value / 40)) * 40);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join(".");
}

export function decodeInteger(bytes: Uint8Array, tlv: Tlv): bigint {
  if (tlv.tag !== 0x02 || tlv.end === tlv.contentStart) throw new TimestampFormatError("expected an INTEGER");
  const hex = toHex(bytes.subarray(tlv.contentStart, tlv.end));
  const value = BigInt(`0x${hex}`);
  const negative = bytes[tlv.contentStart]! & 0x80;
  return negative ? value - (1n << BigInt(hex.length * 4)) : value;
}

/** GeneralizedTime as RFC 3161 §2.4.2 requires it: UTC ("Z"), optional fraction. */
function decodeGeneralizedTime(bytes: Uint8Array, tlv: Tlv): Date {
  const text = new TextDecoder().decode(bytes.subarray(tlv.contentStart, tlv.end));
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(text);
  if (tlv.tag !== 0x18 || !match)
    throw new TimestampFormatError(`genTime "${text}" is not a UTC GeneralizedTime`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  const ms = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
}

/** Runs a DER reader, turning a structural error into a TimestampFormatError naming `what`. */
export function readDer<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof TimestampFormatError) throw error;
    if (error instanceof DerError || error instanceof RangeError || error instanceof TypeError) {
      throw new TimestampFormatError(`${what} is not valid DER: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

export function parseTstInfo(der: Uint8Array): TstInfo {
  return readDer("TSTInfo", () => {
    const outer = readTlv(der, 0);
    if (outer.tag !== 0x30 || outer.end !== der.length)
      throw new TimestampFormatError("TSTInfo is not a SEQUENCE");
    const fields = children(der, outer);
    const [version, policy, imprint, serial, genTime, ...rest] = fields;
    if (!version || !policy || !imprint || !serial || !genTime)
      throw new TimestampFormatError("TSTInfo is truncated");
    if (decodeInteger(der, version) !== 1n) throw new TimestampFormatError("TSTInfo version is not 1");
    const [algorithm, hashed] = children(der, imprint);
    const [hashOid] = algorithm ? children(der, algorithm) : [];
    if (!hashOid || hashed?.tag !== 0x04) throw new TimestampFormatError("malformed messageImprint");
    const oid = decodeOid(der, hashOid);
    const hash = hashOfOid(oid);
    if (!hash)
      throw new TimestampFormatError(`messageImprint hash ${oid} is not SHA-256, SHA-384 or SHA-512`);
    let accuracyMs = 0;
    let nonce: bigint | undefined;
    for (const field of rest) {
      if (field.tag === 0x30) accuracyMs = parseAccuracy(der, field);
      else if (field.tag === 0x02) nonce = decodeInteger(der, field);
    }
    const policyOid = decodeOid(der, policy);
    if (accuracyMs === 0 && policyOid === BaselineTimestampPolicy) accuracyMs = 1000;
    return {
      policy: policyOid,
      hash,
      hashedMessage: der.slice(hashed.contentStart, hashed.end),
      serialNumber: decodeInteger(der, serial).toString(16),
      genTime: decodeGeneralizedTime(der, genTime),
      accuracyMs,
      ...(nonce !== undefined && { nonce }),
      der: new Uint8Array(der),
    };
  });
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER OPTIONAL, micros [1] INTEGER OPTIONAL } */
function parseAccuracy(der: Uint8Array, accuracy: Tlv): number {
  let ms = 0;
  for (const part of children(der, accuracy)) {
    const value = Number(decodeInteger(der, { ...part, tag: 0x02 }));
    if (part.tag === 0x02) ms += value * 1000;
    else if (part.tag === 0x80) ms += value;
    else if (part.tag === 0x81) ms += Math.ceil(value / 1000);
  }
  return ms;
}

export interface TimestampResponse {
  /** PKIStatus: 0 granted, 1 grantedWithMods, anything else a refusal. */
  readonly status: number;
  readonly statusText?: string;
  /** The TimeStampToken (a CMS ContentInfo), exactly as received. */
  readonly token?: Uint8Array;
}

/** TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL } */
export function parseTimestampResponse(der: Uint8Array): TimestampResponse {
  return readDer("the timestamp response", () => {
    const outer = readTlv(der, 0);
    if (outer.tag !== 0x30 || outer.end !== der.length) {
      throw new TimestampFormatError("the timestamp response is not a DER SEQUENCE");
    }
    const [statusInfo, token] = children(der, outer);
    if (statusInfo?.tag !== 0x30)
      throw new TimestampFormatError("the timestamp response has no PKIStatusInfo");
    const [status, freeText] = children(der, statusInfo);
    if (!status) throw new TimestampFormatError("PKIStatusInfo has no status");
    const text =
      freeText?.tag === 0x30
        ? children(der, freeText)
            .map((part) => new TextDecoder().decode(der.subarray(part.contentStart, part.end)))
            .join("; ")
        : undefined;
    return {
      status: Number(decodeInteger(der, status)),
      ...(text !== undefined && { statusText: text }),
      ...(token !== undefined && { token: der.slice(token.start, token.end) }),
    };
  });
}
