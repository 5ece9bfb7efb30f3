// Keeping referrers discoverable at a registry without a referrers API: after copying referrer
// manifests that the registry did not index (no `OCI-Subject` on the PUT), list them in its tag-schema
// fallback index (distribution-spec spec.md, "Pushing Manifests with Subject"), through the
// repository's own update (subject lock, `If-Match`). OCI layouts index what they store themselves.
import type { Descriptor, Manifest } from "../descriptor.ts";
import { Repository } from "../remote/repository.ts";
import type { Target } from "../target.ts";

export interface ReferrerEntry {
  /** The referrer as stored at the destination. */
  readonly descriptor: Descriptor;
  /** Its parsed manifest when at hand; fetched from the destination otherwise. */
  readonly manifest?: Manifest;
}

/** Lists `referrers` in `subject`'s fallback index; the index descriptor when it changed. */
export async function listInFallbackIndex(
  target: Target,
  subject: Descriptor,
  referrers: readonly ReferrerEntry[],
): Promise<Descriptor | undefined> {
  if (!(target instanceof Repository)) return undefined;
  let pushed: Descriptor | undefined;
  for (const entry of referrers) {
    const manifest = entry.manifest ?? (await target.fetchManifest(entry.descriptor.digest)).manifest;
    const update = await target.addReferrer(subject, entry.descriptor, manifest);
    if (update.changed) pushed = update.index;
  }
  return pushed;
}
