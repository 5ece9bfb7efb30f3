// Deterministic JSON bytes for the OCI documents we write (manifests, indexes, config blobs).
// A manifest's digest is the hash of its exact bytes (image-spec descriptor.md, "Digests"), so the same
// input must always give the same bytes: keys in the order we emit them, no whitespace, UTF-8.
// Not for payloads whose bytes another tool fixes (cosign's simple-signing payload keeps `"optional":null`).
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf } from "../oci/digest.ts";

export class CanonicalJsonError extends Error {
  override readonly name = "CanonicalJsonError";
}

/**
 * Optional image-spec fields whose empty value is dropped rather than written: an empty `annotations`
 * map or `urls` list says nothing, and some verifiers compare descriptors field by field.
 */
const OptionalWhenEmpty: ReadonlySet<string> = new Set(["annotations", "urls", "os.features"]);

const encoder = new TextEncoder();

/** Serializes `value`, omitting `undefined`/`null` members and empty optional image-spec fields. */
export function canonicalJson(value: unknown): Uint8Array {
  const text = serialize(value, "$");
  if (text === undefined) throw new CanonicalJsonError("nothing to serialize at $");
  return encoder.encode(text);
}

function serialize(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  switch (typeof value) {
    case "string":
      // Well-formed JSON.stringify (ES2019) escapes lone surrogates, so the UTF-8 encoding is lossless.
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // Sizes are int64 in the image-spec; beyond 2^53 a JS number no longer names one integer.
      if (!Number.isSafeInteger(value))
        throw new CanonicalJsonError(`${path}: ${value} is not a safe integer`);
      return String(value);
    case "object":
      return Array.isArray(value) ? serializeArray(value, path) : serializeObject(value, path);
    default:
      throw new CanonicalJsonError(`${path}: cannot serialize a ${typeof value}`);
  }
}

function serializeArray(items: readonly unknown[], path: string): string {
  const parts = items.map((item, index) => {
    const text = serialize(item, `${path}[${index}]`);
    // A hole in an array would shift every later element: refuse rather than write `null`.
    if (text === undefined) throw new CanonicalJsonError(`${path}[${index}]: null or undefined in an array`);
    return text;
  });
  return `[${parts.join(",")}]`;
}

function serializeObject(object: object, path: string): string {
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    throw new CanonicalJsonError(`${path}: only plain objects are serialized`);
  }
  const parts: string[] = [];
  for (const [key, member] of Object.entries(object)) {
    if (OptionalWhenEmpty.has(key) && isEmptyContainer(member)) continue;
    const text = serialize(member, `${path}.${key}`);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(",")}}`;
}

function isEmptyContainer(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && value !== null && Object.keys(value).length === 0;
}

/**
 * Extra descriptor fields. Emitted after `mediaType`, `digest`, `size` as `annotations`, then
 * `artifactType`: the field order of image-spec's Go `Descriptor`, hence of notation and oras output.
 */
export interface DescriptorExtras {
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The descriptor of `bytes`: `mediaType`, `digest`, `size`, then `annotations`, `artifactType` if given. */
export async function descriptorOf(
  mediaType: string,
  bytes: Uint8Array,
  extra?: DescriptorExtras,
): Promise<Descriptor> {
  const descriptor: { -readonly [K in keyof Descriptor]: Descriptor[K] } = {
    mediaType,
    digest: await digestOf(bytes),
    size: bytes.byteLength,
  };
  if (extra?.annotations && Object.keys(extra.annotations).length > 0) {
    descriptor.annotations = { ...extra.annotations };
  }
  if (extra?.artifactType) descriptor.artifactType = extra.artifactType;
  return descriptor;
}
