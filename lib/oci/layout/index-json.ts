// The `index.json` of an OCI image layout (image-spec image-layout.md, "index.json file"): parsed with
// zod at the edge, updated as plain values. Unknown fields are kept so that a rewrite loses nothing
// another tool wrote.
import { z } from "zod";
import type { Descriptor } from "../descriptor.ts";
import { DescriptorSchema } from "../manifest-schema.ts";
import { MediaType } from "../media-types.ts";

/** image-spec annotations.md: the tag of a manifest listed in a layout's index.json. */
export const RefNameAnnotation = "org.opencontainers.image.ref.name";

const layoutIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

export interface LayoutIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

export const emptyLayoutIndex = (): LayoutIndex => ({
  schemaVersion: 2,
  mediaType: MediaType.OciIndex,
  manifests: [],
});

export class LayoutIndexError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LayoutIndexError";
  }
}

export function parseLayoutIndex(bytes: Uint8Array): LayoutIndex {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new LayoutIndexError("index.json is not valid JSON", { cause: error });
  }
  const parsed = layoutIndexSchema.safeParse(json);
  if (!parsed.success) {
    throw new LayoutIndexError(`index.json is not an OCI image index: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

export function serializeLayoutIndex(index: LayoutIndex): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(index));
}

export function tagOf(descriptor: Descriptor): string | undefined {
  return descriptor.annotations?.[RefNameAnnotation];
}

/** The last entry carrying `tag` (image-layout.md leaves duplicates to tools; the newest wins here). */
export function findTagged(index: LayoutIndex, tag: string): Descriptor | undefined {
  return index.manifests.findLast((entry) => tagOf(entry) === tag);
}

export function findByDigest(index: LayoutIndex, digest: string): Descriptor | undefined {
  return index.manifests.find((entry) => entry.digest === digest);
}

/** Points `tag` at `descriptor`, dropping whatever the tag named before. */
export function withTag(index: LayoutIndex, descriptor: Descriptor, tag: string): LayoutIndex {
  const kept = index.manifests.filter((entry) => tagOf(entry) !== tag);
  const entry = { ...bare(descriptor), annotations: { [RefNameAnnotation]: tag } };
  return { ...index, manifests: [...kept, entry] };
}

/** Lists a manifest with no tag (how oras and notation keep referrers reachable in a layout). */
export function withUntagged(index: LayoutIndex, descriptor: Descriptor): LayoutIndex {
  if (findByDigest(index, descriptor.digest)) return index;
  return { ...index, manifests: [...index.manifests, bare(descriptor)] };
}

/**
 * Drops untagged entries for manifests that `parent` (an index just stored) now reaches, so that
 * index.json keeps listing roots only: a copied multi-arch image leaves one entry, not one per platform.
 */
export function withoutReachedUntagged(index: LayoutIndex, children: readonly string[]): LayoutIndex {
  const reached = new Set(children);
  const manifests = index.manifests.filter(
    (entry) => tagOf(entry) !== undefined || !reached.has(entry.digest),
  );
  return manifests.length === index.manifests.length ? index : { ...index, manifests };
}

function bare(descriptor: Descriptor): Descriptor {
  const { mediaType, digest, size } = descriptor;
  return descriptor.artifactType
    ? { mediaType, digest, size, artifactType: descriptor.artifactType }
    : { mediaType, digest, size };
}
