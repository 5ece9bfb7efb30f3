// Writes one cosign signature: its layer joins the `sha256-<hex>.sig` manifest beside the image
// (cosign specs/SIGNATURE_SPEC.md). The tag is a read-modify-write shared with every other signer of the
// image, cosign itself included: a shared tag of the repository (lib/oci/remote/shared-tag.ts), whose
// settle() confirms that the layer is still listed before the signature is reported written.
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { RegistryError } from "../../oci/errors.ts";
import { isImageManifest } from "../../oci/manifest-schema.ts";
import { MediaType } from "../../oci/media-types.ts";
import type { Repository } from "../../oci/remote/repository.ts";
import type { TagContent, TagEdit } from "../../oci/remote/shared-tag.ts";
import type { SubjectLock } from "../../oci/subject-lock.ts";
import type { WrittenSignature } from "../format.ts";
import type { CosignLayer, CosignSignature } from "./build.ts";
import { CosignSignatureAnnotation } from "./payload.ts";
import { appendCosignLayer, cosignSignatureTag } from "./signature-manifest.ts";

export interface CosignWriteOptions {
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly signature: CosignSignature;
  /** The same per-subject lock the fallback index uses: `.sig` updates are read-modify-write too. */
  readonly lock: SubjectLock;
}

/** Appends the signature layer to `sha256-<hex>.sig` (no duplicates) and overwrites the tag. */
export async function writeCosignSignature(options: CosignWriteOptions): Promise<WrittenSignature> {
  const { repository, subject, signature, lock } = options;
  const tag = cosignSignatureTag(subject.digest);
  // Every signer of one image signs the same payload: once a `.sig` lists it, the blob is there.
  const { current } = await repository.readSharedTag(tag);
  const { mediaType, digest, size } = signature.layer;
  const pushPayload = () =>
    repository.pushBlob({ mediaType, digest, size }, signature.payload, { knownAbsent: true });
  if (!sigLayers(current).some((layer) => layer.digest === digest)) await pushPayload();
  const append = () =>
    lock.withLock(`${repository.name}:${tag}`, () =>
      repository.updateSharedTag(
        tag,
        appendLayer(signature.layer),
        `cosign signatures ${repository.name}:${tag}`,
      ),
    );
  const update = await append().catch(async (error: unknown) => {
    // Many signers push this same payload at once; a registry can lose that race (distribution 2.8
    // then answers MANIFEST_BLOB_UNKNOWN). Push it again, then the manifest, once.
    if (!(error instanceof RegistryError && error.hasCode("MANIFEST_BLOB_UNKNOWN"))) throw error;
    repository.forgetBlobs([digest]);
    await pushPayload();
    return append();
  });
  return {
    digest: update.descriptor?.digest ?? "",
    artifactType: MediaType.CosignSimpleSigning,
    written: update.changed,
    fallbackUpdated: false,
  };
}

function appendLayer(layer: CosignLayer): TagEdit {
  const signature = layer.annotations[CosignSignatureAnnotation];
  const holds = (current: TagContent | undefined) =>
    sigLayers(current).some(
      (l) => l.digest === layer.digest && l.annotations?.[CosignSignatureAnnotation] === signature,
    );
  return {
    holds,
    async apply(current) {
      if (holds(current)) return undefined;
      const existing =
        current !== undefined && isImageManifest(current.manifest) ? current.manifest : undefined;
      // An index under the tag is not cosign's: the signature starts a fresh `.sig` manifest over it.
      const next = await appendCosignLayer(existing as ImageManifest | undefined, layer);
      return {
        manifest: next.manifest,
        bytes: next.bytes,
        mediaType: MediaType.OciManifest,
        blobs: [next.config],
      };
    },
  };
}

function sigLayers(current: TagContent | undefined): readonly Descriptor[] {
  return current !== undefined && isImageManifest(current.manifest) ? current.manifest.layers : [];
}
