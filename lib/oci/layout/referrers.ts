// Referrers in an OCI image layout. A layout has no API to ask, and tools record referrers two ways:
// oras and notation list each referrer manifest (untagged) in index.json, and most also write the
// distribution-spec tag schema (spec.md, "Referrers Tag Schema"): an image index at tag `<alg>-<hex>`.
// The notation e2e layouts show both can disagree (a later signature absent from the fallback index),
// so discovery takes the union; writers keep both up to date.
import type { Descriptor } from "../descriptor.ts";
import { isIndexMediaType, MediaType } from "../media-types.ts";

/** Adds `referrers` not yet listed to a fallback index (or a new one); `undefined` when nothing changes. */
export function mergeFallbackIndex(
  existing: { readonly manifests?: readonly Descriptor[] } | undefined,
  referrers: readonly Descriptor[],
): Uint8Array | undefined {
  const listed = [...(existing?.manifests ?? [])];
  const known = new Set(listed.map((entry) => entry.digest));
  const added = referrers.filter((entry) => !known.has(entry.digest) && known.add(entry.digest));
  if (existing && added.length === 0) return undefined;
  const index = {
    ...existing,
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [...listed, ...added],
  };
  return new TextEncoder().encode(JSON.stringify(index));
}

/** Union of two listings by digest, first listing first. */
export function unionReferrers(first: readonly Descriptor[], second: readonly Descriptor[]): Descriptor[] {
  const seen = new Set(first.map((entry) => entry.digest));
  return [...first, ...second.filter((entry) => !seen.has(entry.digest) && seen.add(entry.digest))];
}

export function filterByArtifactType(referrers: readonly Descriptor[], artifactType?: string): Descriptor[] {
  return artifactType === undefined
    ? [...referrers]
    : referrers.filter((entry) => entry.artifactType === artifactType);
}

/** A `sha256-<hex>` tag can name anything (regclient's `mirror` image is one): only an index counts. */
export function isFallbackIndex(entry: Descriptor): boolean {
  return isIndexMediaType(entry.mediaType);
}
