// The one interface every key backend implements (local key, AWS KMS, ...).

/** JOSE names; RSA keys always sign with PSS (Notary forbids PKCS#1 v1.5). */
export type SignatureAlgorithm = "ES256" | "ES384" | "ES512" | "PS256" | "PS384" | "PS512";

/**
 * How the signature bytes are encoded. ECDSA: `der` is the ASN.1 DER `Ecdsa-Sig-Value` that cosign and
 * KMS use, `raw` is r‖s as JWS (RFC 7518 §3.4) wants. RSA-PSS: both are the same bytes.
 */
export type SignatureEncoding = "der" | "raw";

export interface PublicKeyInfo {
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: Uint8Array;
  /** SubjectPublicKeyInfo, PEM ("-----BEGIN PUBLIC KEY-----"). */
  readonly pem: string;
  /** Public JWK with `kid` = RFC 7638 thumbprint, `alg` and `use: "sig"`. */
  readonly jwk: JsonWebKey & { kid: string; alg: SignatureAlgorithm };
}

export interface Signer {
  /** Stable identifier recorded with every signature: a KMS key ARN, or the local key's JWK thumbprint. */
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  publicKey(): Promise<PublicKeyInfo>;
  /** Signs `data` (the message, not a digest): one backend call per signature. */
  sign(data: Uint8Array, encoding: SignatureEncoding): Promise<Uint8Array>;
}
