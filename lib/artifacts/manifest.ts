// Builds the artifact manifest that attaches a signature to an image (image-spec manifest.md,
// "Guidelines for Artifact Usage"; distribution-spec "Pushing Manifests with Subject").
import type { Descriptor, ImageManifest } from "../oci/descriptor.ts";
import { isDigest } from "../oci/digest.ts";
import { EmptyJson, MediaType } from "../oci/media-types.ts";
import { canonicalJson, descriptorOf } from "./canonical-json.ts";
import type { ManifestShape, RegistryProfile } from "./profiles.ts";

export const CreatedAnnotation = "org.opencontainers.image.created";

export interface ArtifactLayer {
  readonly mediaType: string;
  readonly bytes: Uint8Array;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ArtifactManifestOptions {
  readonly artifactType: string;
  /** The signed image: only its `mediaType`, `digest` and `size` are written. */
  readonly subject: Descriptor;
  /** Empty: one empty-JSON layer is written instead (image-spec manifest.md, empty descriptor guidance). */
  readonly layers: readonly ArtifactLayer[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly created: Date;
  readonly profile: RegistryProfile;
}

export interface Blob {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

export interface BuiltArtifactManifest {
  readonly manifest: ImageManifest;
  readonly shape: ManifestShape;
  /** The exact bytes to PUT; `descriptor` is their digest and size. */
  readonly bytes: Uint8Array;
  readonly descriptor: Descriptor;
  /**
   * The manifest as a referrers index lists it (distribution-spec "Listing Referrers"): `artifactType`
   * (else `config.mediaType`) and the manifest's annotations copied.
   */
  readonly referrerDescriptor: Descriptor;
  /** Blobs to push before the manifest (config first, then layers), one per digest. */
  readonly blobs: readonly Blob[];
}

export class ArtifactManifestError extends Error {
  override readonly name = "ArtifactManifestError";
}

// Notation writes its signature manifests with `config.mediaType` = the artifact type, the `{}` config
// and no top-level `artifactType` (the notation vector's manifest 90ceaff2…): notation and Ratify find
// signatures by that config type, so this shape holds on every registry.
const ConfigCarriedArtifactTypes: ReadonlySet<string> = new Set([MediaType.NotarySignature]);

// image-spec schema defs-descriptor.json#/definitions/mediaType (RFC 6838 restricted names).
const MediaTypePattern = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** The manifest shape written for `artifactType` on a registry with `profile`. */
export function shapeFor(artifactType: string, profile: RegistryProfile): ManifestShape {
  if (ConfigCarriedArtifactTypes.has(artifactType) || !profile.acceptsArtifactType) return "legacy-config";
  return profile.manifestShape;
}

/** RFC 3339 UTC with no fractional seconds, as notation and cosign write `created`. */
export function createdTimestamp(created: Date): string {
  const time = created.getTime();
  if (Number.isNaN(time)) throw new ArtifactManifestError("created is an invalid Date");
  const year = created.getUTCFullYear();
  if (year < 0 || year > 9999) throw new ArtifactManifestError(`created year ${year} is outside RFC 3339`);
  return created.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export async function buildArtifactManifest(
  options: ArtifactManifestOptions,
): Promise<BuiltArtifactManifest> {
  checkMediaType("artifactType", options.artifactType);
  const shape = shapeFor(options.artifactType, options.profile);
  const config = await descriptorOf(
    shape === "legacy-config" ? options.artifactType : MediaType.OciEmpty,
    EmptyJson.bytes,
  );
  const layers = await layerBlobs(options.layers);
  const annotations = manifestAnnotations(options.annotations, options.created);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    ...(shape === "scratch-layer" ? { artifactType: options.artifactType } : {}),
    config,
    layers: layers.map((layer) => layer.descriptor),
    ...(options.profile.supportsSubject ? { subject: subjectOf(options.subject) } : {}),
    annotations,
  };
  const bytes = canonicalJson(manifest);
  const descriptor = await descriptorOf(MediaType.OciManifest, bytes);
  const referrerDescriptor = await descriptorOf(MediaType.OciManifest, bytes, {
    annotations,
    artifactType: manifest.artifactType ?? config.mediaType,
  });
  return {
    manifest,
    shape,
    bytes,
    descriptor,
    referrerDescriptor,
    blobs: uniqueByDigest([{ descriptor: config, bytes: EmptyJson.bytes }, ...layers]),
  };
}

async function layerBlobs(layers: readonly ArtifactLayer[]): Promise<Blob[]> {
  if (layers.length === 0) {
    // The survey: Quay, GCR, ECR and Artifactory rejected `layers: []`, and the schema wants one.
    return [{ descriptor: await descriptorOf(MediaType.OciEmpty, EmptyJson.bytes), bytes: EmptyJson.bytes }];
  }
  return Promise.all(
    layers.map(async (layer, index) => {
      checkMediaType(`layers[${index}].mediaType`, layer.mediaType);
      if (layer.bytes.byteLength === 0) {
        // A zero-byte blob upload failed with 500 on two registries: refuse rather than push it.
        throw new ArtifactManifestError(
          `layers[${index}] (${layer.mediaType}) is empty: zero-byte blobs are not written; ` +
            "omit the layer to get the empty-JSON layer instead",
        );
      }
      checkAnnotations(`layers[${index}].annotations`, layer.annotations);
      const descriptor = await descriptorOf(layer.mediaType, layer.bytes, { annotations: layer.annotations });
      return { descriptor, bytes: layer.bytes };
    }),
  );
}

function manifestAnnotations(
  given: Readonly<Record<string, string>> | undefined,
  created: Date,
): Record<string, string> {
  checkAnnotations("annotations", given);
  const timestamp = createdTimestamp(created);
  const { [CreatedAnnotation]: supplied, ...rest } = given ?? {};
  if (supplied !== undefined && supplied !== timestamp) {
    throw new ArtifactManifestError(
      `annotation ${CreatedAnnotation}="${supplied}" contradicts created ${timestamp}: pass the time as created`,
    );
  }
  // `created` last, after the format's own annotations: the order notation writes.
  return { ...rest, [CreatedAnnotation]: timestamp };
}

// Only the three identifying fields: verifiers compare `subject` with their target descriptor, and
// notation's vector writes exactly these.
function subjectOf(subject: Descriptor): Descriptor {
  checkMediaType("subject.mediaType", subject.mediaType);
  if (!isDigest(subject.digest)) {
    throw new ArtifactManifestError(`subject.digest "${subject.digest}" is not a sha256/sha512 digest`);
  }
  if (!Number.isSafeInteger(subject.size) || subject.size <= 0) {
    throw new ArtifactManifestError(`subject.size ${subject.size} is not a positive integer`);
  }
  return { mediaType: subject.mediaType, digest: subject.digest, size: subject.size };
}

function checkMediaType(field: string, mediaType: string): void {
  if (!MediaTypePattern.test(mediaType)) {
    throw new ArtifactManifestError(`${field} "${mediaType}" is not a media type (type/subtype)`);
  }
}

function checkAnnotations(field: string, annotations: Readonly<Record<string, string>> | undefined): void {
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (key === "") throw new ArtifactManifestError(`${field} has an empty key`);
    if (typeof value !== "string") throw new ArtifactManifestError(`${field}["${key}"] is not a string`);
  }
}

function uniqueByDigest(blobs: readonly Blob[]): Blob[] {
  const seen = new Set<string>();
  return blobs.filter((blob) => !seen.has(blob.descriptor.digest) && seen.add(blob.descriptor.digest));
}
