// Builds one cosign signature: the simple-signing payload (the layer blob) and its layer descriptor
// carrying the signature annotation, ready to be appended to the `sha256-<hex>.sig` manifest.

import { toBase64 } from "../../encoding.ts";
import { digestOf } from "../../oci/digest.ts";
import type { Signer } from "../../signing/signer.ts";
import type { Timestamper } from "../timestamp/client.ts";
import {
  CosignMediaType,
  CosignSignatureAnnotation,
  CosignTimestampAnnotation,
  simpleSigningPayload,
} from "./payload.ts";

export interface BuildCosignOptions {
  /** `<registry>/<repository>`, e.g. `registry.example.com/team/app`. */
  readonly dockerReference: string;
  readonly subjectDigest: string;
  readonly signer: Signer;
  /** Adds cosign's RFC 3161 annotation (`cosign sign --timestamp-server-url`). */
  readonly timestamper?: Timestamper;
}

export interface CosignLayer {
  readonly mediaType: typeof CosignMediaType.SimpleSigning;
  readonly digest: string;
  readonly size: number;
  readonly annotations: {
    readonly [CosignSignatureAnnotation]: string;
    readonly [CosignTimestampAnnotation]?: string;
  };
}

export interface CosignSignature {
  /** The layer blob: the exact bytes that were signed. */
  readonly payload: Uint8Array;
  readonly layer: CosignLayer;
}

export async function buildCosignSignature(options: BuildCosignOptions): Promise<CosignSignature> {
  const payload = simpleSigningPayload(options.dockerReference, options.subjectDigest);
  // cosign wants ASN.1 DER for ECDSA (sigstore/sigstore signature/ecdsa.go), and RSASSA-PKCS1-v1_5 with
  // SHA-256 for RSA: `cosign verify --key` loads an RSA key as an RSAPKCS1v15Verifier (verify.ts).
  const signature = await options.signer.sign(payload, "der", { rsaPadding: "pkcs1v15" });
  // cosign v3 signs through sigstore-go and copies the bundle's first RFC 3161 timestamp (the whole
  // TimeStampResp, SHA-256 over the raw signature) into the layer as static.RFC3161Timestamp's JSON.
  const timestamp = options.timestamper && (await options.timestamper.timestamp(signature, "SHA-256"));
  return {
    payload,
    layer: {
      mediaType: CosignMediaType.SimpleSigning,
      digest: await digestOf(payload),
      size: payload.length,
      annotations: {
        [CosignSignatureAnnotation]: toBase64(signature),
        ...(timestamp && {
          [CosignTimestampAnnotation]: JSON.stringify({
            SignedRFC3161Timestamp: toBase64(timestamp.response),
          }),
        }),
      },
    },
  };
}
