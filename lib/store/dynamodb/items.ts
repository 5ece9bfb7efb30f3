// Items of the DynamoDB store and their mapping to the Store's records: one attribute per field in
// DynamoDB's own types (S, N, M), so items read naturally in the console and in exports. Anything
// read back is checked field by field: a malformed item is a StoreError, never a half-built record.
import type { FormatName } from "../../formats/index.ts";
import { StoreError } from "../errors.ts";
import type {
  FormatOutcomes,
  Job,
  JobStatus,
  SignatureKey,
  SignatureRecord,
  SignatureResult,
} from "../store.ts";
import type { AttributeValue, AttributeValueOutput, Item, ItemOutput } from "./api.ts";
import { type ItemKey, KEY_ATTRIBUTES, TTL_ATTRIBUTE } from "./keys.ts";

export const str = (value: string): AttributeValue => ({ S: value });
export const num = (value: number): AttributeValue => ({ N: String(value) });

/** Epoch seconds for the TTL attribute, rounded up so TTL never deletes an item before `ms`. */
export const ttlSeconds = (ms: number): AttributeValue => num(Math.ceil(ms / 1000));

export function keyItem(key: ItemKey): Item {
  return { [KEY_ATTRIBUTES.partition]: str(key.pk), [KEY_ATTRIBUTES.sort]: str(key.sk) };
}

/** Reads the key back from an item (a Query's LastEvaluatedKey, to pass as ExclusiveStartKey). */
export function itemKey(item: ItemOutput): ItemKey {
  return { pk: requireString(item, KEY_ATTRIBUTES.partition), sk: requireString(item, KEY_ATTRIBUTES.sort) };
}

/** JSON data as DynamoDB attributes: undefined members are left out, as JSON.stringify does. */
export function toAttribute(value: unknown): AttributeValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === "string") return str(value);
  if (typeof value === "boolean") return { BOOL: value };
  if (typeof value === "number" && Number.isFinite(value)) return num(value);
  if (Array.isArray(value)) return { L: value.map((v) => toAttribute(v) ?? { NULL: true }) };
  if (typeof value === "object") {
    const entries = Object.entries(value).flatMap(([k, v]) => {
      const attribute = toAttribute(v);
      return attribute === undefined ? [] : [[k, attribute] as const];
    });
    return { M: Object.fromEntries(entries) };
  }
  throw new StoreError(`cannot store a ${typeof value} in DynamoDB`);
}

export function fromAttribute(value: AttributeValueOutput): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL === true) return null;
  if (value.M !== undefined) {
    return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, fromAttribute(v)]));
  }
  if (value.L !== undefined) return value.L.map(fromAttribute);
  throw new StoreError(`unexpected DynamoDB attribute type ${Object.keys(value).join(",")}`);
}

export function readString(item: ItemOutput, name: string): string | undefined {
  const value = item[name];
  if (value === undefined) return undefined;
  if (value.S === undefined) throw new StoreError(`attribute ${name} is not a string`);
  return value.S;
}

export function requireString(item: ItemOutput, name: string): string {
  const value = readString(item, name);
  if (value === undefined) throw new StoreError(`item lacks attribute ${name}`);
  return value;
}

export function readNumber(item: ItemOutput, name: string): number | undefined {
  const value = item[name];
  if (value === undefined) return undefined;
  const parsed = value.N === undefined ? Number.NaN : Number(value.N);
  if (!Number.isFinite(parsed)) throw new StoreError(`attribute ${name} is not a number`);
  return parsed;
}

/** True when the item's TTL has passed: DynamoDB may still return it for days (TTL deletion is lazy). */
export function isExpired(item: ItemOutput, nowMs: number): boolean {
  const expiresAt = readNumber(item, TTL_ATTRIBUTE);
  return expiresAt !== undefined && expiresAt * 1000 <= nowMs;
}

/** A job's fields as attributes; the job item and its index item both carry them. */
export function jobAttributes(job: Job): Record<string, AttributeValue> {
  const optional = {
    digest: job.request.digest,
    source: job.source,
    lastError: job.lastError,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
  return {
    id: str(job.id),
    status: str(job.status),
    registry: str(job.request.registry),
    repository: str(job.request.repository),
    reference: str(job.request.reference),
    attempts: num(job.attempts),
    outcomes: toAttribute(job.outcomes) ?? { M: {} },
    createdAt: str(job.createdAt),
    updatedAt: str(job.updatedAt),
    ...Object.fromEntries(
      Object.entries(optional).flatMap(([name, value]) => (value === undefined ? [] : [[name, str(value)]])),
    ),
  };
}

export function toJob(item: ItemOutput): Job {
  const outcomes = item.outcomes === undefined ? {} : fromAttribute(item.outcomes);
  if (typeof outcomes !== "object" || outcomes === null || Array.isArray(outcomes)) {
    throw new StoreError("job outcomes are not a map");
  }
  const digest = readString(item, "digest");
  const source = readString(item, "source");
  const lastError = readString(item, "lastError");
  const startedAt = readString(item, "startedAt");
  const finishedAt = readString(item, "finishedAt");
  return {
    id: requireString(item, "id"),
    status: requireString(item, "status") as JobStatus,
    request: {
      registry: requireString(item, "registry"),
      repository: requireString(item, "repository"),
      reference: requireString(item, "reference"),
      ...(digest === undefined ? {} : { digest }),
    },
    ...(source === undefined ? {} : { source }),
    attempts: readNumber(item, "attempts") ?? 0,
    ...(lastError === undefined ? {} : { lastError }),
    outcomes: outcomes as FormatOutcomes,
    createdAt: requireString(item, "createdAt"),
    updatedAt: requireString(item, "updatedAt"),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(finishedAt === undefined ? {} : { finishedAt }),
  };
}

export function signatureKeyAttributes(key: SignatureKey): Record<string, AttributeValue> {
  return {
    registry: str(key.registry),
    repository: str(key.repository),
    digest: str(key.digest),
    format: str(key.format),
    keyId: str(key.keyId),
  };
}

export function signatureResultAttributes(result: SignatureResult): Record<string, AttributeValue> {
  return {
    signatureDigest: str(result.signatureDigest),
    artifactType: str(result.artifactType),
    createdAt: str(result.createdAt),
  };
}

export function toSignature(item: ItemOutput): SignatureRecord {
  return {
    registry: requireString(item, "registry"),
    repository: requireString(item, "repository"),
    digest: requireString(item, "digest"),
    format: requireString(item, "format") as FormatName,
    keyId: requireString(item, "keyId"),
    signatureDigest: requireString(item, "signatureDigest"),
    artifactType: requireString(item, "artifactType"),
    createdAt: requireString(item, "createdAt"),
  };
}
