// What each JOSE algorithm name means in WebCrypto terms (RFC 7518 §3.1), and which one a key calls for.
import type { SignatureAlgorithm } from "../signing/signer.ts";

export type HashName = "SHA-256" | "SHA-384" | "SHA-512";
export type NamedCurve = "P-256" | "P-384" | "P-521";

export interface AlgorithmDetails {
  readonly name: SignatureAlgorithm;
  readonly hash: HashName;
  readonly family: "ecdsa" | "rsa-pss";
  readonly curve?: NamedCurve;
  /** ECDSA: bytes per coordinate of r‖s (RFC 7518 §3.4). */
  readonly fieldSize?: number;
  /** RSA-PSS: salt length = hash length (RFC 7518 §3.5), as KMS RSASSA_PSS_* also signs. */
  readonly saltLength?: number;
}

export const Algorithms: Readonly<Record<SignatureAlgorithm, AlgorithmDetails>> = {
  ES256: { name: "ES256", hash: "SHA-256", family: "ecdsa", curve: "P-256", fieldSize: 32 },
  ES384: { name: "ES384", hash: "SHA-384", family: "ecdsa", curve: "P-384", fieldSize: 48 },
  ES512: { name: "ES512", hash: "SHA-512", family: "ecdsa", curve: "P-521", fieldSize: 66 },
  PS256: { name: "PS256", hash: "SHA-256", family: "rsa-pss", saltLength: 32 },
  PS384: { name: "PS384", hash: "SHA-384", family: "rsa-pss", saltLength: 48 },
  PS512: { name: "PS512", hash: "SHA-512", family: "rsa-pss", saltLength: 64 },
};

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === "string" && Object.hasOwn(Algorithms, value);
}

export function importParams(algorithm: SignatureAlgorithm): EcKeyImportParams | RsaHashedImportParams {
  const details = Algorithms[algorithm];
  return details.family === "ecdsa"
    ? { name: "ECDSA", namedCurve: details.curve! }
    : { name: "RSA-PSS", hash: details.hash };
}

export function verifyParams(algorithm: SignatureAlgorithm): EcdsaParams | RsaPssParams {
  const details = Algorithms[algorithm];
  return details.family === "ecdsa"
    ? { name: "ECDSA", hash: details.hash }
    : { name: "RSA-PSS", saltLength: details.saltLength! };
}
