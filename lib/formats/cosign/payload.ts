// Cosign's "simple signing" payload (sigstore/cosign specs/SIGNATURE_SPEC.md; containers/image
// docs/containers-signature.5.md), byte for byte as `cosign sign` writes it.
import { z } from "zod";
import { utf8 } from "../../encoding.ts";
import { MediaType } from "../../oci/media-types.ts";
import { SignatureBuildError } from "../errors.ts";
import { assertSubjectDigest } from "../subject.ts";

export const CosignMediaType = {
  SimpleSigning: MediaType.CosignSimpleSigning,
  /** The config of a `.sig` manifest (an ordinary OCI image config). */
  Config: MediaType.OciConfig,
  Manifest: MediaType.OciManifest,
} as const;

export const CosignSignatureAnnotation = "dev.cosignproject.cosign/signature";
/** cosign pkg/oci/static `RFC3161TimestampAnnotationKey`: `{"SignedRFC3161Timestamp":"<base64 TimeStampResp>"}`. */
export const CosignTimestampAnnotation = "dev.sigstore.cosign/rfc3161timestamp";
export const CosignSignatureType = "cosign container image signature";

// `<registry>/<repository>` without tag or digest (distribution reference grammar, lowercase path).
const DockerReference =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/;

export function assertDockerReference(reference: string): void {
  if (!DockerReference.test(reference)) {
    throw new SignatureBuildError(
      `docker-reference "${reference}" is not <registry>/<repository> (no tag, no digest)`,
    );
  }
}

/** Exactly: {"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},"type":…},"optional":null} */
export function simpleSigningPayload(
  dockerReference: string,
  subjectDigest: string,
): Uint8Array<ArrayBuffer> {
  assertDockerReference(dockerReference);
  assertSubjectDigest(subjectDigest);
  // The grammar above admits no character JSON or Go's encoder would escape, so this is cosign's bytes.
  return utf8(
    `{"critical":{"identity":{"docker-reference":"${dockerReference}"},"image":{"docker-manifest-digest":"${subjectDigest}"},"type":"${CosignSignatureType}"},"optional":null}`,
  );
}

export const SimpleSigningPayload = z.object({
  critical: z.object({
    identity: z.object({ "docker-reference": z.string() }).loose(),
    image: z.object({ "docker-manifest-digest": z.string() }).loose(),
    type: z.string(),
  }),
  optional: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type SimpleSigningPayload = z.infer<typeof SimpleSigningPayload>;
