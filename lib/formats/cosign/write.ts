// Writes one cosign signature: its layer joins the `sha256-<hex>.sig` manifest beside the image
// (cosign specs/SIGNATURE_SPEC.md), a read-modify-write of a tag, so under the per-subject lock.
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { RegistryError } from "../../oci/errors.ts";
import { isImageManifest } from "../../oci/manifest-schema.ts";
import { MediaType } from "../../oci/media-types.ts";
import type { Repository } from "../../oci/remote/repository.ts";
import type { SubjectLock } from "../../oci/subject-lock.ts";
import type { WrittenSignature } from "../format.ts";
import type { CosignSignature } from "./build.ts";
import { appendCosignLayer, cosignSignatureTag } from "./signature-manifest.ts";

export interface CosignWriteOptions {
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly signature: CosignSignature;
  /** The same per-subject lock the fallback index uses: `.sig` updates are read-modify-write too. */
  readonly lock: SubjectLock;
}

/** Appends the signature layer to `sha256-<hex>.sig` (no duplicates) and overwrites the tag, under the lock. */
export function writeCosignSignature(options: CosignWriteOptions): Promise<WrittenSignature> {
  const { repository, subject, signature, lock } = options;
  const tag = cosignSignatureTag(subject.digest);
  return lock.withLock(`${repository.name}:${tag}`, async () => {
    const existing = await readSigManifest(repository, tag);
    const next = await appendCosignLayer(existing?.manifest, signature.layer);
    if (!next.appended && existing !== undefined) {
      return {
        digest: existing.digest,
        artifactType: MediaType.CosignSimpleSigning,
        written: false,
        fallbackUpdated: false,
      };
    }
    // Both are new in the usual case (a config listing this signature; the first payload for this
    // subject): upload without a HEAD. Uploading a blob the registry already has is harmless.
    await repository.pushBlob(next.config.descriptor, next.config.bytes, { knownAbsent: true });
    await repository.pushBlob(
      { mediaType: signature.layer.mediaType, digest: signature.layer.digest, size: signature.layer.size },
      signature.payload,
      { knownAbsent: true },
    );
    const pushed = await repository.pushManifest(next.bytes, MediaType.OciManifest, tag);
    return {
      digest: pushed.descriptor.digest,
      artifactType: MediaType.CosignSimpleSigning,
      written: true,
      fallbackUpdated: false,
    };
  });
}

async function readSigManifest(
  repository: Repository,
  tag: string,
): Promise<{ manifest: ImageManifest | undefined; digest: string } | undefined> {
  try {
    const fetched = await repository.fetchManifest(tag);
    // An index under the tag is not cosign's: the signature starts a fresh `.sig` manifest over it.
    const manifest = isImageManifest(fetched.manifest) ? fetched.manifest : undefined;
    return { manifest, digest: fetched.descriptor.digest };
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}
