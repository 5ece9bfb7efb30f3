// The platform manifests of an image index that the attach job signs beside the index. Work per push
// is bounded (DESIGN.md "Rules that hold everywhere"): an index may list thousands of children (20,000
// fit under the 4 MiB manifest cap), so above a configured bound only the index is signed. And a child
// is signed only once fetched and hash-verified: an index may name manifests that exist nowhere, and a
// signature must be of something the registry serves.

import { isSignatureArtifact, isSignatureMediaType } from "../formats/signature-artifact.ts";
import { createLimiter } from "../oci/copy/limit.ts";
import type { Descriptor, ImageIndex } from "../oci/descriptor.ts";
import { RegistryError } from "../oci/errors.ts";
import { ManifestAccept } from "../oci/media-types.ts";
import type { Repository } from "../oci/remote/repository.ts";

/** Child manifests signed per index by default; a multi-platform image rarely has more than 16. */
export const DEFAULT_MAX_INDEX_CHILDREN = 64;
/** The most the configuration may allow: each child costs three signatures and about 20 requests. */
export const MAX_INDEX_CHILDREN_LIMIT = 256;

export interface IndexChildren {
  /** Children fetched, verified and to be signed, in index order. */
  readonly subjects: readonly Descriptor[];
  /** What was not signed and why, for the job's record (never empty when something was skipped). */
  readonly notes: readonly string[];
}

/** Children fetched at once: enough to hide latency, few enough to be gentle with the registry. */
const FETCH_CONCURRENCY = 4;
/** Skipped children named in a note; the rest are counted. */
const NAMED_IN_NOTE = 5;

/**
 * The children of `index` to sign: platform manifests only (see `candidates`), at most `limit` of them
 * (more: none, the index alone is signed), each fetched by digest (the client hashes what it reads).
 */
export async function indexChildren(
  repository: Repository,
  index: ImageIndex,
  limit: number,
): Promise<IndexChildren> {
  const listed = candidates(index);
  if (listed.length === 0) return { subjects: [], notes: [] };
  if (listed.length > limit) {
    return {
      subjects: [],
      notes: [
        `the index lists ${listed.length} platform manifests, more than policy.maxIndexChildren (${limit}): only the index is signed, its children are not`,
      ],
    };
  }
  const slot = createLimiter(FETCH_CONCURRENCY);
  const results = await Promise.all(listed.map((child) => slot(() => fetchChild(repository, child))));
  const subjects = results.filter((r): r is Descriptor => !("missing" in r));
  const missing = results.filter((r): r is { missing: string } => "missing" in r).map((r) => r.missing);
  return { subjects, notes: missing.length === 0 ? [] : [skippedNote(missing)] };
}

/**
 * Not images, never signed: buildx attestation manifests (marked by annotation), entries that declare
 * an `artifactType` (artifacts and referrers, signatures among them), and anything not a manifest.
 */
function candidates(index: ImageIndex): Descriptor[] {
  const entries = Array.isArray(index.manifests) ? index.manifests : [];
  const seen = new Set<string>();
  return entries
    .filter(
      (d) =>
        d.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest" &&
        d.artifactType === undefined &&
        !isSignatureMediaType(d.mediaType) &&
        (ManifestAccept as readonly string[]).includes(d.mediaType),
    )
    .filter((d) => !seen.has(d.digest) && seen.add(d.digest))
    .map((d) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size }));
}

/** The child as the registry serves it, or why it is not signed. */
async function fetchChild(
  repository: Repository,
  child: Descriptor,
): Promise<Descriptor | { readonly missing: string }> {
  try {
    const fetched = await repository.fetchManifest(child.digest);
    if (isSignatureArtifact(fetched.manifest)) {
      return { missing: `${child.digest} (a signature or attestation artifact)` };
    }
    return fetched.descriptor;
  } catch (error) {
    // distribution-spec: MANIFEST_UNKNOWN (404) for a digest the repository does not hold.
    if (error instanceof RegistryError && error.status === 404) {
      return { missing: `${child.digest} (not in the registry)` };
    }
    throw error;
  }
}

function skippedNote(missing: readonly string[]): string {
  const named = missing.slice(0, NAMED_IN_NOTE).join(", ");
  const more = missing.length > NAMED_IN_NOTE ? ` and ${missing.length - NAMED_IN_NOTE} more` : "";
  return `${missing.length} child manifest(s) not signed: ${named}${more}`;
}
