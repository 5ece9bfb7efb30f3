// DynamoDB attribute values as the JSON protocol carries them (API Reference, "AttributeValue":
// exactly one type member; numbers and binaries as strings), parsed with zod, and the comparisons
// expressions need: strings and binaries order by their bytes (UTF-8 for strings), numbers by value.
import { z } from "zod";
import { validation } from "./errors.ts";

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { M: Record<string, AttributeValue> }
  | { L: AttributeValue[] };

export type Item = Record<string, AttributeValue>;

// The number grammar DynamoDB accepts (up to 38 significant digits; magnitude is not checked here).
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const number = z.string().regex(NUMBER, "The parameter cannot be converted to a numeric value");

export const attributeValueSchema: z.ZodType<AttributeValue> = z.lazy(() =>
  z.union([
    z.strictObject({ S: z.string() }),
    z.strictObject({ N: number }),
    z.strictObject({ B: z.base64() }),
    z.strictObject({ BOOL: z.boolean() }),
    z.strictObject({ NULL: z.literal(true) }),
    z.strictObject({ SS: z.array(z.string()).min(1) }),
    z.strictObject({ NS: z.array(number).min(1) }),
    z.strictObject({ BS: z.array(z.base64()).min(1) }),
    z.strictObject({ M: z.record(z.string(), attributeValueSchema) }),
    z.strictObject({ L: z.array(attributeValueSchema) }),
  ]),
);

export const itemSchema = z.record(z.string(), attributeValueSchema);

/** The string of an S value; undefined for anything else (tests reading stored items). */
export function textOf(value: AttributeValue | undefined): string | undefined {
  return value !== undefined && "S" in value ? value.S : undefined;
}

/** The number of an N value; undefined for anything else. */
export function numberOf(value: AttributeValue | undefined): number | undefined {
  return value !== undefined && "N" in value ? Number(value.N) : undefined;
}

export type TypeName = "S" | "N" | "B" | "BOOL" | "NULL" | "SS" | "NS" | "BS" | "M" | "L";

export function typeOf(value: AttributeValue): TypeName {
  return Object.keys(value)[0] as TypeName;
}

/** Ordering of two values of one scalar type (S, N, B); undefined when they cannot be ordered. */
export function compare(a: AttributeValue, b: AttributeValue): number | undefined {
  if ("S" in a && "S" in b) return compareBytes(Buffer.from(a.S, "utf8"), Buffer.from(b.S, "utf8"));
  if ("N" in a && "N" in b) return Math.sign(Number(a.N) - Number(b.N));
  if ("B" in a && "B" in b) return compareBytes(Buffer.from(a.B, "base64"), Buffer.from(b.B, "base64"));
  return undefined;
}

export function equal(a: AttributeValue, b: AttributeValue): boolean {
  const type = typeOf(a);
  if (type !== typeOf(b)) return false;
  if (type === "S" || type === "N" || type === "B") return compare(a, b) === 0;
  if ("BOOL" in a && "BOOL" in b) return a.BOOL === b.BOOL;
  if ("NULL" in a) return true;
  if ("M" in a && "M" in b) {
    const keys = Object.keys(a.M);
    return keys.length === Object.keys(b.M).length && keys.every((k) => b.M[k] && equal(a.M[k]!, b.M[k]));
  }
  if ("L" in a && "L" in b) return a.L.length === b.L.length && a.L.every((v, i) => equal(v, b.L[i]!));
  return setMembers(a).length === setMembers(b).length && setMembers(a).every((m) => setHas(b, m));
}

/** The members of a set as scalar values (SS, NS, BS); empty for anything else. */
export function setMembers(value: AttributeValue): AttributeValue[] {
  if ("SS" in value) return value.SS.map((S) => ({ S }));
  if ("NS" in value) return value.NS.map((N) => ({ N }));
  if ("BS" in value) return value.BS.map((B) => ({ B }));
  return [];
}

export function setHas(set: AttributeValue, member: AttributeValue): boolean {
  return setMembers(set).some((m) => equal(m, member));
}

/** `size()` (API: string length in bytes, binary length, element count of sets, lists and maps). */
export function sizeOf(value: AttributeValue): number | undefined {
  if ("S" in value) return Buffer.byteLength(value.S, "utf8");
  if ("B" in value) return Buffer.from(value.B, "base64").length;
  if ("M" in value) return Object.keys(value.M).length;
  if ("L" in value) return value.L.length;
  const members = setMembers(value);
  return members.length > 0 ? members.length : undefined;
}

/**
 * Approximate stored size (developer guide, "Item sizes": name bytes + value bytes; numbers about
 * one byte per two digits; 3 bytes of overhead per map or list, 1 per element).
 */
export function itemSize(item: Item): number {
  return Object.entries(item).reduce(
    (total, [name, value]) => total + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

function valueSize(value: AttributeValue): number {
  if ("S" in value) return Buffer.byteLength(value.S, "utf8");
  if ("N" in value) return Math.ceil(value.N.replace(/[^0-9]/g, "").length / 2) + 1;
  if ("B" in value) return Buffer.from(value.B, "base64").length;
  if ("BOOL" in value || "NULL" in value) return 1;
  if ("M" in value) return 3 + itemSize(value.M) + Object.keys(value.M).length;
  if ("L" in value) return 3 + value.L.reduce((t, v) => t + 1 + valueSize(v), 0);
  return setMembers(value).reduce((t, v) => t + valueSize(v), 0);
}

/** The service's 400 KB item limit (measured as `itemSize` approximates it). */
export function checkItem(item: Item): void {
  if (itemSize(item) > 400 * 1024) throw validation("Item size has exceeded the maximum allowed size");
}

function compareBytes(a: Buffer, b: Buffer): number {
  return Math.sign(Buffer.compare(a, b));
}
