// JOSE algorithm names (RFC 7518 §3.1) mapped to WebCrypto parameters. Notary's signature specification
// pairs each key with one algorithm: P-256/ES256, P-384/ES384, P-521/ES512, RSA-2048/PS256,
// RSA-3072/PS384, RSA-4096/PS512; PKCS#1 v1.5 (RS*) is not allowed.
import { UnsupportedKeyError } from "./errors.ts";
import type { SignatureAlgorithm } from "./signer.ts";

export type HashName = "SHA-256" | "SHA-384" | "SHA-512";
export type NamedCurve = "P-256" | "P-384" | "P-521";

export type AlgorithmParameters =
  | {
      readonly kind: "ECDSA";
      readonly hash: HashName;
      readonly namedCurve: NamedCurve;
      /** Bytes of r and of s in the raw r‖s encoding (RFC 7518 §3.4). */
      readonly coordinateLength: 32 | 48 | 66;
    }
  | {
      readonly kind: "RSA-PSS";
      readonly hash: HashName;
      /** Salt length = hash length (RFC 7518 §3.5; KMS RSASSA_PSS_* does the same). */
      readonly saltLength: 32 | 48 | 64;
    };

const parameters: Readonly<Record<SignatureAlgorithm, AlgorithmParameters>> = {
  ES256: { kind: "ECDSA", hash: "SHA-256", namedCurve: "P-256", coordinateLength: 32 },
  ES384: { kind: "ECDSA", hash: "SHA-384", namedCurve: "P-384", coordinateLength: 48 },
  ES512: { kind: "ECDSA", hash: "SHA-512", namedCurve: "P-521", coordinateLength: 66 },
  PS256: { kind: "RSA-PSS", hash: "SHA-256", saltLength: 32 },
  PS384: { kind: "RSA-PSS", hash: "SHA-384", saltLength: 48 },
  PS512: { kind: "RSA-PSS", hash: "SHA-512", saltLength: 64 },
};

export const signatureAlgorithms: readonly SignatureAlgorithm[] = Object.keys(
  parameters,
) as SignatureAlgorithm[];

export function algorithmParameters(algorithm: SignatureAlgorithm): AlgorithmParameters {
  return parameters[algorithm];
}

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === "string" && Object.hasOwn(parameters, value);
}

/** Reads a user-supplied algorithm name (CLI flag, config), refusing RS* with the reason. */
export function parseSignatureAlgorithm(text: string): SignatureAlgorithm {
  const name = text.trim().toUpperCase();
  if (isSignatureAlgorithm(name)) return name;
  if (/^RS(256|384|512)$/.test(name)) {
    throw new UnsupportedKeyError(
      `${name} (RSASSA-PKCS1-v1_5) is not allowed: the Notary Project forbids it; RSA keys sign with RSASSA-PSS (PS256, PS384, PS512)`,
    );
  }
  throw new UnsupportedKeyError(
    `unknown signature algorithm "${text}"; expected one of ${signatureAlgorithms.join(", ")}`,
  );
}

/** WebCrypto `importKey` parameters for a key of this algorithm. */
export function importParameters(algorithm: SignatureAlgorithm): EcKeyImportParams | RsaHashedImportParams {
  const p = parameters[algorithm];
  return p.kind === "ECDSA" ? { name: "ECDSA", namedCurve: p.namedCurve } : { name: "RSA-PSS", hash: p.hash };
}

/** WebCrypto `sign`/`verify` parameters. */
export function signParameters(algorithm: SignatureAlgorithm): EcdsaParams | RsaPssParams {
  const p = parameters[algorithm];
  return p.kind === "ECDSA" ? { name: "ECDSA", hash: p.hash } : { name: "RSA-PSS", saltLength: p.saltLength };
}

export function curveAlgorithm(curve: string): SignatureAlgorithm {
  switch (curve) {
    case "P-256":
      return "ES256";
    case "P-384":
      return "ES384";
    case "P-521":
      return "ES512";
    default:
      throw new UnsupportedKeyError(`EC curve ${curve} is not supported; use P-256, P-384 or P-521`);
  }
}

/** The PSS algorithm the Notary specification pairs with an RSA modulus size. */
export function rsaAlgorithm(modulusLength: number): SignatureAlgorithm {
  switch (modulusLength) {
    case 2048:
      return "PS256";
    case 3072:
      return "PS384";
    case 4096:
      return "PS512";
    default:
      throw new UnsupportedKeyError(
        `RSA-${modulusLength} is not supported; the Notary Project accepts RSA 2048, 3072 and 4096`,
      );
  }
}
