// RSA signatures made with RSASSA-PSS where cosign and sigstore accept only RSASSA-PKCS1-v1_5 with
// SHA-256 for an RSA public key (sigstore/sigstore `signature.LoadVerifier` → `RSAPKCS1v15Verifier`;
// @sigstore/core `crypto.verify` on an rsaEncryption key). Countersign itself wrote such signatures
// before it signed these formats with RS256. Used only to say why a signature is refused, never to accept.
import { verifySignature } from "../signing/public-key.ts";
import type { SpkiKey } from "./public-key.ts";

export type RsaPssAlgorithm = "PS256" | "PS384" | "PS512";

const PSS: readonly RsaPssAlgorithm[] = ["PS256", "PS384", "PS512"];

/** The PSS algorithm (salt = hash length, as KMS and WebCrypto sign) `signature` verifies under, if any. */
export async function rsaPssAlgorithmOf(
  key: SpkiKey,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<RsaPssAlgorithm | undefined> {
  if (key.type !== "rsa") return undefined;
  for (const algorithm of PSS) {
    try {
      if (await verifySignature({ spki: key.spki, algorithm, data, signature, encoding: "raw" }))
        return algorithm;
    } catch {
      // a signature of the wrong length is simply not this algorithm's
    }
  }
  return undefined;
}

/** The reason given for a PSS signature: what it is, what the verifier wants, what to do. */
export function rsaPssRefusal(algorithm: RsaPssAlgorithm, verifier: "cosign" | "sigstore"): string {
  return `the signature is RSASSA-PSS (${algorithm}); ${verifier} verifies RSA keys only with RSASSA-PKCS1-v1_5 and SHA-256 (RS256), so it refuses this signature: sign again`;
}
