// What a signature format is to the rest of Countersign: one module (lib/formats/<name>/format.ts)
// that recognises its manifests, signs a subject into the registry and verifies what is attached.
// Signing, verifying, listing attachments and the CLI only ever loop over lib/formats/index.ts.
import type { RegistryProfile } from "../artifacts/profiles.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Repository } from "../oci/remote/repository.ts";
import type { SubjectLock } from "../oci/subject-lock.ts";
import type { Target } from "../oci/target.ts";
import type { Signer } from "../signing/signer.ts";
import type { NotationTrust } from "./notary/trust-policy.ts";
import type { TrustAnchorInput } from "./notary/trust-store.ts";
import type { PublicKeyInput } from "./public-key.ts";
import type { SigstoreTrustedRoot } from "./sigstore/trusted-root.ts";
import type { Timestamper } from "./timestamp/client.ts";

/** The fields `recognize` reads: an image manifest, an index, or a descriptor of a referrers list fits. */
export interface ManifestProbe {
  readonly artifactType?: string | undefined;
  readonly config?: { readonly mediaType: string };
  readonly layers?: readonly { readonly mediaType: string }[];
  readonly annotations?: Readonly<Record<string, string>>;
}

// Requests and material are objects so that what RFC 3161 timestamps and a trust policy add (a
// timestamping authority to sign with, TSA roots and a trusted root to verify with) joins as a field.
export interface SignRequest {
  /** Where the signature is written: the subject's own repository. */
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly signer: Signer;
  /** DER, leaf first: the Notary certificate chain of `signer`'s key. */
  readonly certificateChain: readonly Uint8Array[];
  readonly profile: RegistryProfile;
  /** Serialises the read-modify-write of a subject's tag-schema index and `.sig` tag. */
  readonly lock: SubjectLock;
  /** The signing time, whole seconds; `org.opencontainers.image.created` of the artifact. */
  readonly created: Date;
  /**
   * When set, every signature carries an RFC 3161 timestamp over its signature value (Notary's
   * `io.cncf.notary.timestampSignature`, the bundle's `rfc3161Timestamps`, cosign's annotation); a TSA
   * failure fails the signing (TimestampAuthorityError, retryable), never a signature without it.
   */
  readonly timestamper?: Timestamper;
}

export interface WrittenSignature {
  /** The artifact manifest (referrer), or the `.sig` manifest after our write (cosign). */
  readonly digest: string;
  readonly artifactType: string;
  /** False when the signature was found already in place (cosign `.sig` layer). */
  readonly written: boolean;
  /** The tag-schema fallback index was updated (false when the referrers API indexed it). */
  readonly fallbackUpdated: boolean;
}

export interface VerificationMaterial {
  /** Public keys (SPKI DER, PEM, or CryptoKey) for cosign signatures and Sigstore bundles. */
  readonly publicKeys: readonly PublicKeyInput[];
  /** Trust anchors (DER or PEM) for Notary signatures: a `ca` store trusting any identity. */
  readonly trustStore: readonly TrustAnchorInput[];
  /** TSA roots that `trustStore` comes with (a `tsa` store): Notary timestamps are then required. */
  readonly tsaTrustStore?: readonly TrustAnchorInput[];
  /** A notation trust policy and its named stores; when set it decides Notary signatures instead. */
  readonly notation?: NotationTrust;
  /**
   * A Sigstore trusted_root.json: transparency logs and timestamping authorities that bundles' tlog
   * entries and timestamps, and cosign `.sig` timestamps, are checked against (offline).
   */
  readonly trustedRoot?: SigstoreTrustedRoot;
  /** cosign's `--use-signed-timestamps`: a bundle or `.sig` signature must carry a verified timestamp. */
  readonly requireSignedTimestamp?: boolean;
}

export interface VerifyRequest {
  /** A registry repository or an OCI layout: verifying reads, it never writes. */
  readonly target: Target;
  readonly subject: Descriptor;
  readonly material: VerificationMaterial;
  /** `<registry>/<repository>` (or `local/<name>` for a layout): what a trust policy's scopes match. */
  readonly scope?: string;
  readonly now?: Date;
}

/** One signature found, and its verifier's verdict. */
export interface SignatureVerdict {
  /** The referrer manifest (notary, bundle) or the `.sig` manifest (cosign). */
  readonly digest: string;
  readonly ok: boolean;
  /** Why it failed; for a success, what matched (key or trust anchor). */
  readonly detail: string;
  readonly created?: string;
}

export interface SignatureFormat<Name extends string = string> {
  readonly name: Name;
  /** What outcomes record and referrers are filtered by: the referrer's type, or cosign's layer type. */
  readonly artifactType: string;
  /** One line for help texts and schemas: what the signature is and where it is attached. */
  readonly summary: string;
  /** The material its verifier takes: the CLI asks for `--key` or `--trust-store` accordingly. */
  readonly verifiedWith: keyof VerificationMaterial;
  /** For a format kept under a tag beside the image rather than as referrers: that tag. */
  readonly signatureTag?: (subjectDigest: string) => string;
  /** Whether `manifest` is a signature of this format. */
  recognize(manifest: ManifestProbe): boolean;
  /** Signs `subject` and attaches the signature beside it. */
  sign(request: SignRequest): Promise<WrittenSignature>;
  /** Every signature of this format attached to `subject`, each with its verdict. */
  verify(request: VerifyRequest): Promise<SignatureVerdict[]>;
  /**
   * A signature of `subject` by `signer`'s key already attached, answered from what the listing or the
   * `.sig` manifest carries (no signature is fetched): "already signed?" costs the same for the n-th
   * signer as for the first.
   */
  findOwn(request: OwnSignatureRequest): Promise<OwnSignature | undefined>;
}

export interface OwnSignatureRequest {
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly signer: Signer;
  /**
   * The subject's referrers as already listed, when the caller asks for several formats before writing
   * any (one listing answers them all); otherwise the format lists them itself.
   */
  readonly referrers?: () => Promise<Descriptor[]>;
}

export interface OwnSignature {
  /** The referrer manifest (notary, bundle) or the `.sig` manifest (cosign). */
  readonly digest: string;
  /** `org.opencontainers.image.created` of the artifact, when it says. */
  readonly created?: string;
}

/** A verifier's failure as a verdict's detail. */
export function failureDetail(verdict: { readonly code: string; readonly reason: string }): {
  ok: false;
  detail: string;
} {
  return { ok: false, detail: `${verdict.code}: ${verdict.reason}` };
}
