// KMS key specs and signing algorithms mapped to the JOSE algorithms our formats use (DESIGN.md, "AWS
// KMS"): ECC_NIST_P256 + ECDSA_SHA_256 is the interoperable default; an RSA key's own algorithm is
// RSASSA_PSS_* because Notary forbids PKCS#1 v1.5, and the same key signs cosign and Sigstore bundle
// signatures with RSASSA_PKCS1_V1_5_SHA_256 (RS256), as cosign does; everything else (secp256k1, SM2,
// ML-DSA, HMAC, symmetric) is refused.
import type { SigningAlgorithmSpec } from "@aws-sdk/client-kms";
import { UnsupportedKeyError } from "./errors.ts";
import type { SignatureAlgorithm, SigningAlgorithm } from "./signer.ts";

const specAlgorithms: Readonly<Record<string, SignatureAlgorithm>> = {
  ECC_NIST_P256: "ES256",
  ECC_NIST_P384: "ES384",
  ECC_NIST_P521: "ES512",
  RSA_2048: "PS256",
  RSA_3072: "PS384",
  RSA_4096: "PS512",
};

const kmsAlgorithms: Readonly<Record<SigningAlgorithm, SigningAlgorithmSpec>> = {
  ES256: "ECDSA_SHA_256",
  ES384: "ECDSA_SHA_384",
  ES512: "ECDSA_SHA_512",
  PS256: "RSASSA_PSS_SHA_256",
  PS384: "RSASSA_PSS_SHA_384",
  PS512: "RSASSA_PSS_SHA_512",
  RS256: "RSASSA_PKCS1_V1_5_SHA_256",
};

export function kmsSigningAlgorithm(algorithm: SigningAlgorithm): SigningAlgorithmSpec {
  return kmsAlgorithms[algorithm];
}

export interface KmsKeyDescription {
  readonly arn: string;
  readonly keySpec: string | undefined;
  readonly keyUsage: string | undefined;
  readonly signingAlgorithms: readonly string[] | undefined;
}

/** The algorithm to sign with, or an UnsupportedKeyError saying why this key cannot serve. */
export function selectKmsAlgorithm(
  key: KmsKeyDescription,
  explicit?: SignatureAlgorithm,
): SignatureAlgorithm {
  if (key.keyUsage !== "SIGN_VERIFY") {
    throw new UnsupportedKeyError(
      `KMS key ${key.arn} has KeyUsage ${key.keyUsage ?? "(none)"}; signing needs an asymmetric SIGN_VERIFY key (ECC_NIST_P256 recommended)`,
    );
  }
  const natural = key.keySpec === undefined ? undefined : specAlgorithms[key.keySpec];
  if (!natural) {
    throw new UnsupportedKeyError(
      `KMS key ${key.arn} has KeySpec ${key.keySpec ?? "(none)"}; supported: ${Object.keys(specAlgorithms).join(", ")}`,
    );
  }
  const chosen = explicit ?? natural;
  if (chosen !== natural && !(natural.startsWith("PS") && chosen.startsWith("PS"))) {
    throw new UnsupportedKeyError(`algorithm ${chosen} does not fit KMS key ${key.arn} (${key.keySpec})`);
  }
  const offered = key.signingAlgorithms ?? [];
  if (!offered.includes(kmsAlgorithms[chosen])) {
    const pkcs1Only = offered.length > 0 && offered.every((a) => a.startsWith("RSASSA_PKCS1"));
    throw new UnsupportedKeyError(
      pkcs1Only
        ? `KMS key ${key.arn} offers only RSASSA_PKCS1_V1_5 signing, which Notary forbids; use a key with RSASSA_PSS`
        : `KMS key ${key.arn} does not offer ${kmsAlgorithms[chosen]} (it offers ${offered.join(", ") || "nothing"})`,
    );
  }
  return chosen;
}
