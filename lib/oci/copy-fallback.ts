// Keeping referrers discoverable at a destination without a referrers API: after copying referrer
// manifests that the destination did not index (no `OCI-Subject` on the PUT), list them in its
// tag-schema fallback index (distribution-spec spec.md, "Pushing Manifests with Subject"). One update
// per subject, after all of its referrers, so a copy of n signatures costs one GET and one PUT.
import type { Descriptor } from "./descriptor.ts";
import { isFallbackIndex, mergeFallbackIndex } from "./layout-referrers.ts";
import { children, parseManifest } from "./manifest-schema.ts";
import { MediaType } from "./media-types.ts";
import { referrersTag } from "./referrers.ts";
import type { FetchedManifest, Target } from "./target.ts";

export interface FallbackUpdate {
  readonly tag: string;
  /** The new fallback index, or undefined when it already listed every referrer. */
  readonly pushed?: Descriptor;
  /** Set when the tag names something that is not an index: it is left alone. */
  readonly conflict?: Descriptor;
}

export async function listInFallbackIndex(
  target: Target,
  subject: Descriptor,
  referrers: readonly Descriptor[],
): Promise<FallbackUpdate> {
  const tag = referrersTag(subject.digest);
  const current = await fetchIfPresent(target, tag);
  if (current && !isFallbackIndex(current.descriptor)) return { tag, conflict: current.descriptor };
  const existing = current
    ? { manifests: children(parseManifest(current.bytes, current.descriptor.mediaType)) }
    : undefined;
  const merged = mergeFallbackIndex(existing, referrers);
  if (!merged) return { tag };
  const pushed = await target.pushManifest(merged, MediaType.OciIndex, tag);
  return { tag, pushed: pushed.descriptor };
}

async function fetchIfPresent(target: Target, reference: string): Promise<FetchedManifest | undefined> {
  try {
    return await target.fetchManifest(reference);
  } catch (error) {
    if (isManifestUnknown(error)) return undefined;
    throw error;
  }
}

/** Registry and layout errors both carry the distribution-spec code; a bare 404 means the same. */
export function isManifestUnknown(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, status } = error as { code?: unknown; status?: unknown };
  return code === "MANIFEST_UNKNOWN" || code === "NAME_UNKNOWN" || status === 404;
}
