// The signature formats Countersign writes and verifies, by name. Each is a module with build and
// verify (jose-style, one operation per file); their inputs differ, so callers pick one by name.
import type { Manifest } from "../oci/descriptor.ts";
import { buildSigstoreBundle } from "./bundle/build.ts";
import { BundleAnnotation, SigstoreBundleMediaType } from "./bundle/statement.ts";
import { verifySigstoreBundle } from "./bundle/verify.ts";
import { buildCosignSignature } from "./cosign/build.ts";
import { CosignMediaType } from "./cosign/payload.ts";
import { appendCosignLayer, cosignSignatureTag } from "./cosign/signature-manifest.ts";
import { verifyCosignSignature } from "./cosign/verify.ts";
import type { FormatName } from "./names.ts";
import { buildNotarySignature } from "./notary/build.ts";
import { NotaryMediaType } from "./notary/envelope.ts";
import { verifyNotarySignature } from "./notary/verify.ts";

interface FormatModule {
  readonly name: FormatName;
  /** Artifact type of its referrer manifest; `undefined` for the tag-based cosign form. */
  readonly artifactType: string | undefined;
  readonly layerMediaType: string;
  readonly build: (...args: never[]) => Promise<unknown>;
  readonly verify: (...args: never[]) => Promise<unknown>;
  /** Tag-based formats only: how a signature joins the others, and where they live. */
  readonly append?: (...args: never[]) => Promise<unknown>;
  readonly tag?: (subjectDigest: string) => string;
}

export const formats = {
  /** Notary Project JWS, attached as an OCI 1.1 referrer. */
  notary: {
    name: "notary",
    artifactType: NotaryMediaType.Signature,
    layerMediaType: NotaryMediaType.JwsEnvelope,
    build: buildNotarySignature,
    verify: verifyNotarySignature,
  },
  /** cosign classic: one layer per signature in the `sha256-<hex>.sig` tag's manifest. */
  cosign: {
    name: "cosign",
    artifactType: undefined,
    layerMediaType: CosignMediaType.SimpleSigning,
    build: buildCosignSignature,
    verify: verifyCosignSignature,
    append: appendCosignLayer,
    tag: cosignSignatureTag,
  },
  /** Sigstore bundle v0.3 (cosign v3's default), attached as an OCI 1.1 referrer. */
  bundle: {
    name: "bundle",
    artifactType: SigstoreBundleMediaType,
    layerMediaType: SigstoreBundleMediaType,
    build: buildSigstoreBundle,
    verify: verifySigstoreBundle,
  },
} as const satisfies Record<FormatName, FormatModule>;

/**
 * Which of our formats a manifest is, by its artifact type (or config media type, the pre-1.1 form),
 * or for cosign by its layers: how the attach job recognises signatures it must never sign.
 */
export function signatureFormatOf(manifest: Manifest): FormatName | undefined {
  const type = manifest.artifactType ?? ("config" in manifest ? manifest.config.mediaType : undefined);
  if (type === NotaryMediaType.Signature) return "notary";
  if (type === SigstoreBundleMediaType) return "bundle";
  if (manifest.annotations?.[BundleAnnotation.Content] !== undefined) return "bundle";
  const layers = "layers" in manifest ? manifest.layers : [];
  if (layers.length > 0 && layers.every((layer) => layer.mediaType === CosignMediaType.SimpleSigning))
    return "cosign";
  return undefined;
}

export type { BuildBundleOptions, SigstoreBundleSignature } from "./bundle/build.ts";
export { publicKeyHint } from "./bundle/build.ts";
export type { TransparencyLogKey, TrustedRootOptions } from "./bundle/trust-material.ts";
export type { BundleAlgorithm, BundleVerified, VerifyBundleOptions } from "./bundle/verify.ts";
export type { BuildCosignOptions, CosignLayer, CosignSignature } from "./cosign/build.ts";
export { CosignSignatureAnnotation, simpleSigningPayload } from "./cosign/payload.ts";
export type { AppendCosignOptions, CosignSignatureManifest } from "./cosign/signature-manifest.ts";
export type { CosignAlgorithm, CosignVerified, VerifyCosignOptions } from "./cosign/verify.ts";
export { SignatureBuildError } from "./errors.ts";
export type { FormatName } from "./names.ts";
export type { BuildNotaryOptions, NotarySignature } from "./notary/build.ts";
export { ThumbprintAnnotation } from "./notary/thumbprint.ts";
export type { TrustAnchorInput } from "./notary/trust-store.ts";
export { TrustStoreError } from "./notary/trust-store.ts";
export type { NotaryVerified, VerifyNotaryOptions } from "./notary/verify.ts";
export type { PublicKeyInput } from "./public-key.ts";
export type { FailureCode, Verdict, VerificationFailure } from "./verdict.ts";
export {
  appendCosignLayer,
  buildCosignSignature,
  buildNotarySignature,
  buildSigstoreBundle,
  cosignSignatureTag,
  verifyCosignSignature,
  verifyNotarySignature,
  verifySigstoreBundle,
};
