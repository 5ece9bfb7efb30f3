// The formats attached as OCI 1.1 referrers (Notary, Sigstore bundle): writing one (the artifact
// manifest with `subject`, and the tag-schema index where the registry has no referrers API), and
// reading them back for their verifier. Works on descriptors and bytes; only lib/oci speaks HTTP.
import { type Blob, type BuiltArtifactManifest, buildArtifactManifest } from "../artifacts/manifest.ts";
import { type RegistryProfile, withoutSubject } from "../artifacts/profiles.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { InvalidManifestError, RegistryError } from "../oci/errors.ts";
import { isImageManifest } from "../oci/manifest-schema.ts";
import { MediaType } from "../oci/media-types.ts";
import { putAfterBlobRaces } from "../oci/remote/blob-race.ts";
import type { Repository } from "../oci/remote/repository.ts";
import { type FetchedManifest, readBlobBytes, type Target } from "../oci/target.ts";
import type {
  ManifestProbe,
  OwnSignature,
  OwnSignatureRequest,
  SignatureFormat,
  SignatureVerdict,
  VerifyRequest,
  WrittenSignature,
} from "./format.ts";

/** What a format produces for the referrer path (notary and bundle builders return this shape). */
export interface ReferrerArtifact {
  readonly artifactType: string;
  readonly layer: { readonly mediaType: string; readonly bytes: Uint8Array };
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ReferrerWriteOptions {
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly artifact: ReferrerArtifact;
  readonly profile: RegistryProfile;
  readonly created: Date;
  /** The signing key's id (RFC 7638 thumbprint), carried as KeyIdAnnotation. */
  readonly keyId?: string;
}

/**
 * Names the key that made one of our signatures. Manifest annotations are copied into the referrers
 * listing (distribution-spec, both the API and the tag schema), so "already signed by this key?" is
 * answered from the listing alone, however many signatures there are.
 */
export const KeyIdAnnotation = "dev.countersign.key-id";

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
      annotations: {
        ...artifact.annotations,
        ...(options.keyId !== undefined && { [KeyIdAnnotation]: options.keyId }),
      },
      created,
      profile: p,
    });
  let built = await build(profile);
  const pushed = new Set<string>();
  await pushBlobs(repository, built.blobs, pushed);
  try {
    await pushManifest(repository, built, pushed);
  } catch (error) {
    // ECR (405) and Docker Hub have refused manifests carrying `subject` on some paths (DESIGN.md survey).
    if (!(refusedSubject(error) && profile.onSubjectRefused === "retry-without-subject")) throw error;
    profile = withoutSubject(profile);
    built = await build(profile);
    // Same config and layer as before: only a blob the first try did not push is uploaded.
    await pushBlobs(repository, built.blobs, pushed);
    await pushManifest(repository, built, pushed);
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

/** The artifact manifest after its blobs, through the races of many writers pushing one blob (blob-race.ts). */
async function pushManifest(
  repository: Repository,
  built: BuiltArtifactManifest,
  pushed: Set<string>,
): Promise<void> {
  const mediaType = built.manifest.mediaType ?? MediaType.OciManifest;
  await putAfterBlobRaces(
    () => repository.pushManifest(built.bytes, mediaType),
    async () => {
      const digests = built.blobs.map((blob) => blob.descriptor.digest);
      repository.forgetBlobs(digests);
      for (const digest of digests) pushed.delete(digest);
      for (const blob of built.blobs) await repository.pushBlob(blob.descriptor, blob.bytes);
    },
  );
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

/** A signature layer is a few kilobytes: a larger one is not read at all. */
const MAX_SIGNATURE_LAYER_BYTES = 4 * 1024 * 1024;

/** What a referrer format's verifier judges: the artifact manifest as stored, and its one layer. */
export interface ReferrerSignature {
  readonly manifestBytes: Uint8Array;
  readonly layer: Uint8Array;
}

/**
 * A label that only names a config media type says nothing about what the artifact is: registries that
 * list referrers by their config (go-containerregistry's registry; one large registry seen listing a
 * bundle as the empty config) use these, and a missing label says even less.
 */
const PlaceholderTypes: ReadonlySet<string | undefined> = new Set([
  undefined,
  "",
  MediaType.OciEmpty,
  MediaType.OciConfig,
]);

/**
 * Every referrer of `format` attached to the subject, judged by `judge`. The listing is believed when it
 * names an artifact type; a placeholder label is checked against the manifest itself, so that a
 * signature is never dropped because the registry mislabels it. A referrer that is not an image
 * manifest with one reasonably small layer is reported, not read.
 */
export async function verifyReferrers(
  request: VerifyRequest,
  format: Pick<SignatureFormat, "recognize">,
  judge: (signature: ReferrerSignature) => Promise<{ ok: boolean; detail: string }>,
): Promise<SignatureVerdict[]> {
  const { target, subject } = request;
  const verdicts: SignatureVerdict[] = [];
  for (const referrer of await target.referrers(subject)) {
    const labelled = format.recognize(referrer);
    if (!labelled && !PlaceholderTypes.has(referrer.artifactType)) continue;
    const fetched = await fetchSignatureManifest(target, referrer.digest);
    const manifest =
      fetched !== undefined && isImageManifest(fetched.manifest) ? fetched.manifest : undefined;
    if (!labelled && (manifest === undefined || !format.recognize(manifest))) continue;
    const layer = manifest?.layers[0];
    const created = manifest?.annotations?.["org.opencontainers.image.created"];
    const base = { digest: referrer.digest, ...(created !== undefined && { created }) };
    if (fetched === undefined || layer === undefined || layer.size > MAX_SIGNATURE_LAYER_BYTES) {
      verdicts.push({ ...base, ok: false, detail: "not a signature manifest with one layer" });
      continue;
    }
    const bytes = await readBlobBytes(target, layer);
    verdicts.push({ ...base, ...(await judge({ manifestBytes: fetched.bytes, layer: bytes })) });
  }
  return verdicts;
}

/** Our referrer of `format` on `subject` made with `signer`'s key, by the KeyIdAnnotation it lists. */
export async function findOwnReferrer(
  request: OwnSignatureRequest,
  format: Pick<SignatureFormat, "recognize">,
): Promise<OwnSignature | undefined> {
  const { repository, subject, signer } = request;
  const listed = await (request.referrers?.() ?? repository.referrers(subject));
  for (const referrer of listed) {
    let probe: ManifestProbe = referrer;
    // A listing that drops annotations and names only a placeholder type (see PlaceholderTypes) is
    // completed from the manifest itself.
    if (!format.recognize(probe) && PlaceholderTypes.has(referrer.artifactType)) {
      const fetched = await fetchSignatureManifest(repository, referrer.digest);
      if (fetched === undefined) continue;
      probe = fetched.manifest as ManifestProbe;
    }
    if (!format.recognize(probe) || probe.annotations?.[KeyIdAnnotation] !== signer.keyId) continue;
    const created = probe.annotations?.["org.opencontainers.image.created"];
    return { digest: referrer.digest, ...(created !== undefined && { created }) };
  }
  return undefined;
}

async function fetchSignatureManifest(target: Target, digest: string): Promise<FetchedManifest | undefined> {
  try {
    return await target.fetchManifest(digest);
  } catch (error) {
    if (error instanceof InvalidManifestError) return undefined;
    throw error;
  }
}
