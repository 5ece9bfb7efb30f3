// Writes one signature to the registry: a referrer manifest (Notary, Sigstore bundle) or a layer of the
// cosign `.sig` tag. Works on descriptors and bytes; only lib/oci speaks HTTP.
import { type Blob, buildArtifactManifest } from "../artifacts/manifest.ts";
import { type RegistryProfile, withoutSubject } from "../artifacts/profiles.ts";
import type { CosignSignature } from "../formats/cosign/build.ts";
import { appendCosignLayer, cosignSignatureTag } from "../formats/cosign/signature-manifest.ts";
import type { Descriptor, ImageManifest } from "../oci/descriptor.ts";
import { RegistryError } from "../oci/errors.ts";
import { MediaType } from "../oci/media-types.ts";
import type { Repository } from "../oci/remote/registry.ts";
import type { SubjectLock } from "../oci/subject-lock.ts";

/** What a format produces for the referrer path (notary and bundle builders return this shape). */
export interface ReferrerArtifact {
  readonly artifactType: string;
  readonly layer: { readonly mediaType: string; readonly bytes: Uint8Array };
  readonly annotations: Readonly<Record<string, string>>;
}

export interface WrittenSignature {
  /** The artifact manifest (referrer), or the `.sig` manifest after our write (cosign). */
  readonly digest: string;
  readonly artifactType: string;
  /** False when the signature was found already in place (cosign `.sig` layer). */
  readonly written: boolean;
  /** Registry writes made for the tag-schema fallback (0 when the referrers API indexed it). */
  readonly fallbackUpdated: boolean;
}

export interface ReferrerWriteOptions {
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly artifact: ReferrerArtifact;
  readonly profile: RegistryProfile;
  readonly created: Date;
}

/**
 * Pushes blobs then the manifest with `subject`; updates the tag-schema index unless the registry has
 * the referrers API (asked once per registry: an `OCI-Subject` answer alone is not proof, DESIGN.md).
 */
export async function writeReferrer(options: ReferrerWriteOptions): Promise<WrittenSignature> {
  const { repository, subject, artifact, created } = options;
  let profile = options.profile;
  const build = (p: RegistryProfile) =>
    buildArtifactManifest({
      artifactType: artifact.artifactType,
      subject,
      layers: [artifact.layer],
      annotations: artifact.annotations,
      created,
      profile: p,
    });
  let built = await build(profile);
  const pushed = new Set<string>();
  await pushBlobs(repository, built.blobs, pushed);
  try {
    await repository.pushManifest(built.bytes, built.manifest.mediaType ?? MediaType.OciManifest);
  } catch (error) {
    // ECR (405) and Docker Hub have refused manifests carrying `subject` on some paths (DESIGN.md survey).
    if (!(refusedSubject(error) && profile.onSubjectRefused === "retry-without-subject")) throw error;
    profile = withoutSubject(profile);
    built = await build(profile);
    // Same config and layer as before: only a blob the first try did not push is uploaded.
    await pushBlobs(repository, built.blobs, pushed);
    await repository.pushManifest(built.bytes, built.manifest.mediaType ?? MediaType.OciManifest);
  }
  const useFallback = await needsFallback(repository, profile);
  if (useFallback) await repository.addReferrer(subject, built.descriptor, built.manifest);
  return {
    digest: built.descriptor.digest,
    artifactType: artifact.artifactType,
    written: true,
    fallbackUpdated: useFallback,
  };
}

/**
 * The config (`{}`) is shared by every artifact: HEAD first. A signature layer is new bytes every time
 * (fresh signing time and signature), so its HEAD would always miss: upload it directly.
 */
async function pushBlobs(repository: Repository, blobs: readonly Blob[], pushed: Set<string>): Promise<void> {
  for (const [i, blob] of blobs.entries()) {
    if (pushed.has(blob.descriptor.digest)) continue;
    await repository.pushBlob(blob.descriptor, blob.bytes, {
      knownAbsent: i > 0 && blob.descriptor.size > 2,
    });
    pushed.add(blob.descriptor.digest);
  }
}

async function needsFallback(repository: Repository, profile: RegistryProfile): Promise<boolean> {
  if (!profile.supportsSubject || profile.referrers === "fallback") return true;
  if (profile.referrers === "api") return false;
  return !(await repository.referrersCapability());
}

function refusedSubject(error: unknown): boolean {
  return error instanceof RegistryError && (error.status === 405 || error.status === 400);
}

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
): Promise<{ manifest: ImageManifest; digest: string } | undefined> {
  try {
    const fetched = await repository.fetchManifest(tag);
    const manifest = JSON.parse(new TextDecoder().decode(fetched.bytes)) as ImageManifest;
    return { manifest, digest: fetched.descriptor.digest };
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}
