// Writes one cosign signature: its layer joins the `sha256-<hex>.sig` manifest beside the image
// (cosign specs/SIGNATURE_SPEC.md). The tag is a read-modify-write shared with every other signer of the
// image, cosign itself included: a shared tag of the repository (lib/oci/remote/shared-tag.ts), whose
// settle() confirms that the layer is still listed before the signature is reported written.
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
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
  if (sigLayers(current).some((layer) => layer.digest === digest)) repository.blobsPresent([digest]);
  else await repository.pushBlob({ mediaType, digest, size }, signature.payload, { knownAbsent: true });
  const update = await lock.withLock(`${repository.name}:${tag}`, () =>
    repository.updateSharedTag(tag, appendLayer(signature), `cosign signatures ${repository.name}:${tag}`),
  );
  return {
    digest: update.descriptor?.digest ?? "",
    artifactType: MediaType.CosignSimpleSigning,
    written: update.changed,
    fallbackUpdated: false,
  };
}

function appendLayer({ layer, payload }: CosignSignature): TagEdit {
  const signature = layer.annotations[CosignSignatureAnnotation];
  // Listed with the manifest so that a blob race (lib/oci/remote/blob-race.ts) can check it is there.
  const payloadBlob = {
    descriptor: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size },
    bytes: payload,
    knownAbsent: false,
  };
  const holds = (current: TagContent | undefined) =>
    sigLayers(current).some(
      (l) => l.digest === layer.digest && l.annotations?.[CosignSignatureAnnotation] === signature,
    );
  return {
    holds,
    // Layers are only added to a `.sig`: one another writer dropped is put back (cosign's own appends
    // included), by its signature.
    async union(into, from) {
      const present = sigLayers(into);
      let merged: ImageManifest | undefined =
        into !== undefined && isImageManifest(into.manifest) ? into.manifest : undefined;
      let next: TagContent | undefined;
      for (const candidate of sigLayers(from)) {
        const signed = candidate.annotations?.[CosignSignatureAnnotation];
        if (
          signed === undefined ||
          present.some((l) => l.annotations?.[CosignSignatureAnnotation] === signed)
        )
          continue;
        const appended = await appendCosignLayer(merged, candidate as CosignLayer);
        merged = appended.manifest;
        next = {
          manifest: appended.manifest,
          bytes: appended.bytes,
          mediaType: MediaType.OciManifest,
          blobs: [appended.config],
        };
      }
      return next;
    },
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
        blobs: [next.config, payloadBlob],
      };
    },
  };
}

function sigLayers(current: TagContent | undefined): readonly Descriptor[] {
  return current !== undefined && isImageManifest(current.manifest) ? current.manifest.layers : [];
}
