// Builds one cosign signature: the simple-signing payload (the layer blob) and its layer descriptor
// carrying the signature annotation, ready to be appended to the `sha256-<hex>.sig` manifest.

import { toBase64 } from "../../encoding.ts";
import { digestOf } from "../../oci/digest.ts";
import type { Signer } from "../../signing/signer.ts";
import { CosignMediaType, CosignSignatureAnnotation, simpleSigningPayload } from "./payload.ts";

export interface BuildCosignOptions {
  /** `<registry>/<repository>`, e.g. `registry.example.com/team/app`. */
  readonly dockerReference: string;
  readonly subjectDigest: string;
  readonly signer: Signer;
}

export interface CosignLayer {
  readonly mediaType: typeof CosignMediaType.SimpleSigning;
  readonly digest: string;
  readonly size: number;
  readonly annotations: { readonly [CosignSignatureAnnotation]: string };
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
  return {
    payload,
    layer: {
      mediaType: CosignMediaType.SimpleSigning,
      digest: await digestOf(payload),
      size: payload.length,
      annotations: { [CosignSignatureAnnotation]: toBase64(signature) },
    },
  };
}
