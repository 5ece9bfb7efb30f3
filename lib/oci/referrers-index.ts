// What a referrers list holds, whichever transport keeps it (distribution-spec 1.1 "Referrers Tag
// Schema", "Pushing Manifests with Subject"): the tag a subject's fallback index lives under, and the
// descriptor that index (or the referrers API) lists for each referrer. Shared by remote, layout and copy.
import type { Descriptor, Manifest } from "./descriptor.ts";
import { isImageManifest } from "./manifest-schema.ts";

/** "Referrers Tag Schema": algorithm truncated to 32, encoded to 64, invalid tag characters to `-`. */
export function referrersTag(digest: string): string {
  const colon = digest.indexOf(":");
  const algorithm = digest.slice(0, colon).slice(0, 32);
  const encoded = digest.slice(colon + 1).slice(0, 64);
  return `${algorithm}-${encoded}`.replace(/[^a-zA-Z0-9_.-]/g, "-");
}

/** The descriptor a referrers index lists for a manifest ("Pushing a manifest with a subject field", step 5). */
export function referrerDescriptor(manifestDescriptor: Descriptor, manifest: Manifest): Descriptor {
  const artifactType =
    manifest.artifactType !== undefined && manifest.artifactType !== ""
      ? manifest.artifactType
      : isImageManifest(manifest)
        ? manifest.config.mediaType
        : undefined;
  const annotations = manifest.annotations;
  return {
    mediaType: manifestDescriptor.mediaType,
    digest: manifestDescriptor.digest,
    size: manifestDescriptor.size,
    ...(artifactType !== undefined && { artifactType }),
    ...(annotations !== undefined &&
      Object.keys(annotations).length > 0 && { annotations: { ...annotations } }),
  };
}
