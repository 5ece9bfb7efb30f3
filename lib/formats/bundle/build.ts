// Builds the Sigstore bundle v0.3 that cosign v3 attaches as an image signature (cosign
// specs/BUNDLE_SPEC.md): key-based, no transparency log entry, no timestamp, DSSE over the statement.

import { toBase64, utf8 } from "../../encoding.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import { sha256 } from "../../oci/digest.ts";
import type { Signer } from "../../signing/signer.ts";
import { assertSubjectDescriptor } from "../subject.ts";
import { rfc3339Seconds } from "../time.ts";
import type { Timestamper } from "../timestamp/client.ts";
import {
  BundleAnnotation,
  CosignSignPredicateType,
  InTotoPayloadType,
  preAuthEncoding,
  SigstoreBundleMediaType,
  signStatement,
} from "./statement.ts";

export interface BuildBundleOptions {
  readonly subject: Descriptor;
  readonly signer: Signer;
  /** `org.opencontainers.image.created`; default now. */
  readonly created?: Date;
  /** Adds an RFC 3161 timestamp over the DSSE signature to `timestampVerificationData`. */
  readonly timestamper?: Timestamper;
}

export interface SigstoreBundleSignature {
  readonly artifactType: typeof SigstoreBundleMediaType;
  /** Pass it as the manifest's `created` (its annotation already says so); whole seconds. */
  readonly created: Date;
  readonly layer: { readonly mediaType: typeof SigstoreBundleMediaType; readonly bytes: Uint8Array };
  readonly annotations: {
    readonly [BundleAnnotation.Content]: "dsse-envelope";
    readonly [BundleAnnotation.PredicateType]: typeof CosignSignPredicateType;
    readonly "org.opencontainers.image.created": string;
  };
}

/** cosign's key hint: base64 of SHA-256 over the SPKI DER (sigstore-go `sign.Keypair.GetHint`). */
export async function publicKeyHint(spki: Uint8Array): Promise<string> {
  return toBase64(await sha256(spki));
}

export async function buildSigstoreBundle(options: BuildBundleOptions): Promise<SigstoreBundleSignature> {
  assertSubjectDescriptor(options.subject);
  const created = new Date(Math.floor((options.created ?? new Date()).getTime() / 1000) * 1000);
  const statement = signStatement(options.subject.digest);
  // DSSE and Sigstore carry ECDSA signatures in ASN.1 DER. RSA keys sign RSASSA-PKCS1-v1_5 with SHA-256:
  // sigstore's default for every RSA size (sigstore/sigstore `GetDefaultPublicKeyDetails`), what cosign
  // and @sigstore/verify check a DSSE signature against with a plain RSA public key.
  const pae = preAuthEncoding(InTotoPayloadType, statement);
  const signature = await options.signer.sign(pae, "der", { rsaPadding: "pkcs1v15" });
  const { spki } = await options.signer.publicKey();
  // sigstore-go `TimestampAuthority.GetTimestamp`: SHA-256 over the signature bytes; the bundle keeps
  // the whole TimeStampResp (protobuf-specs RFC3161SignedTimestamp.signed_timestamp).
  const timestamp = options.timestamper && (await options.timestamper.timestamp(signature, "SHA-256"));
  // Field order follows the protobuf field numbers, as protojson (cosign) and @sigstore/bundle emit them.
  const bundle = {
    mediaType: SigstoreBundleMediaType,
    verificationMaterial: {
      publicKey: { hint: await publicKeyHint(spki) },
      tlogEntries: [],
      timestampVerificationData: timestamp
        ? { rfc3161Timestamps: [{ signedTimestamp: toBase64(timestamp.response) }] }
        : {},
    },
    dsseEnvelope: {
      payload: toBase64(statement),
      payloadType: InTotoPayloadType,
      signatures: [{ sig: toBase64(signature) }],
    },
  };
  return {
    artifactType: SigstoreBundleMediaType,
    created,
    layer: { mediaType: SigstoreBundleMediaType, bytes: utf8(JSON.stringify(bundle)) },
    annotations: {
      [BundleAnnotation.Content]: "dsse-envelope",
      [BundleAnnotation.PredicateType]: CosignSignPredicateType,
      "org.opencontainers.image.created": rfc3339Seconds(created),
    },
  };
}
