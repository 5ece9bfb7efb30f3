// JOSE algorithm names (RFC 7518 §3.1) mapped to WebCrypto parameters. Notary's signature specification
// pairs each key with one algorithm: P-256/ES256, P-384/ES384, P-521/ES512, RSA-2048/PS256,
// RSA-3072/PS384, RSA-4096/PS512; PKCS#1 v1.5 (RS*) is not allowed there. RS256 exists only as what a
// single signature may be made with when cosign or a Sigstore bundle asks an RSA key (signer.ts).
import { UnsupportedKeyError } from "./errors.ts";
import type { SignatureAlgorithm, SigningAlgorithm, SignOptions } from "./signer.ts";

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
    }
  | {
      readonly kind: "RSASSA-PKCS1-v1_5";
      readonly hash: "SHA-256";
    };

const parameters: Readonly<Record<SigningAlgorithm, AlgorithmParameters>> = {
  ES256: { kind: "ECDSA", hash: "SHA-256", namedCurve: "P-256", coordinateLength: 32 },
  ES384: { kind: "ECDSA", hash: "SHA-384", namedCurve: "P-384", coordinateLength: 48 },
  ES512: { kind: "ECDSA", hash: "SHA-512", namedCurve: "P-521", coordinateLength: 66 },
  PS256: { kind: "RSA-PSS", hash: "SHA-256", saltLength: 32 },
  PS384: { kind: "RSA-PSS", hash: "SHA-384", saltLength: 48 },
  PS512: { kind: "RSA-PSS", hash: "SHA-512", saltLength: 64 },
  RS256: { kind: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
};

/** A key's own algorithms: RS256 is never one (Notary forbids it), only a per-signature choice. */
export const signatureAlgorithms: readonly SignatureAlgorithm[] = [
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
];

export function algorithmParameters(algorithm: SigningAlgorithm): AlgorithmParameters {
  return parameters[algorithm];
}

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === "string" && (signatureAlgorithms as readonly string[]).includes(value);
}

/** What a key signs one message with under `options`: RS256 for an RSA key asked for PKCS#1 v1.5. */
export function signingAlgorithm(key: SignatureAlgorithm, options?: SignOptions): SigningAlgorithm {
  return options?.rsaPadding === "pkcs1v15" && parameters[key].kind === "RSA-PSS" ? "RS256" : key;
}

/** Reads a user-supplied algorithm name (CLI flag, config), refusing RS* with the reason. */
export function parseSignatureAlgorithm(text: string): SignatureAlgorithm {
  const name = text.trim().toUpperCase();
  if (isSignatureAlgorithm(name)) return name;
  if (/^RS(256|384|512)$/.test(name)) {
    throw new UnsupportedKeyError(
      `${name} (RSASSA-PKCS1-v1_5) cannot be a key's algorithm: the Notary Project forbids it; give RSA keys PS256, PS384 or PS512 (cosign and Sigstore bundle signatures switch to RS256 by themselves, as cosign signs)`,
    );
  }
  throw new UnsupportedKeyError(
    `unknown signature algorithm "${text}"; expected one of ${signatureAlgorithms.join(", ")}`,
  );
}

/** WebCrypto `importKey` parameters for a key of this algorithm (WebCrypto binds a key to one scheme). */
export function importParameters(algorithm: SigningAlgorithm): EcKeyImportParams | RsaHashedImportParams {
  const p = parameters[algorithm];
  return p.kind === "ECDSA" ? { name: "ECDSA", namedCurve: p.namedCurve } : { name: p.kind, hash: p.hash };
}

/** WebCrypto `sign`/`verify` parameters. */
export function signParameters(algorithm: SigningAlgorithm): EcdsaParams | RsaPssParams | Algorithm {
  const p = parameters[algorithm];
  if (p.kind === "ECDSA") return { name: "ECDSA", hash: p.hash };
  return p.kind === "RSA-PSS" ? { name: "RSA-PSS", saltLength: p.saltLength } : { name: p.kind };
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
