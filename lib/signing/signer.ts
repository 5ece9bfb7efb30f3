// The one interface every key backend implements (local key, AWS KMS, ...).

/** JOSE names of a key's own algorithm; RSA keys sign with PSS (Notary forbids PKCS#1 v1.5). */
export type SignatureAlgorithm = "ES256" | "ES384" | "ES512" | "PS256" | "PS384" | "PS512";

/**
 * What one signature is made with: the key's own algorithm, or `RS256` (RSASSA-PKCS1-v1_5 with SHA-256,
 * RFC 7518 §3.3) when a format asks an RSA key for PKCS#1 v1.5. Never a key's own algorithm.
 */
export type SigningAlgorithm = SignatureAlgorithm | "RS256";

/**
 * How the signature bytes are encoded. ECDSA: `der` is the ASN.1 DER `Ecdsa-Sig-Value` that cosign and
 * KMS use, `raw` is r‖s as JWS (RFC 7518 §3.4) wants. RSA: both are the same bytes.
 */
export type SignatureEncoding = "der" | "raw";

/**
 * The RSA signature scheme a format requires. `pss` is the key's own PS256/PS384/PS512: Notary allows
 * nothing else, and certificates use it. `pkcs1v15` is RS256, SHA-256 whatever the modulus: the only RSA
 * scheme cosign and sigstore verify with a public key (sigstore/sigstore `signature.LoadVerifier`
 * returns an `RSAPKCS1v15Verifier`; `GetDefaultPublicKeyDetails` maps RSA 2048/3072/4096 to
 * `PKIX_RSA_PKCS1V15_*_SHA256`; @sigstore/verify hands an rsaEncryption key to node:crypto, which
 * verifies PKCS#1 v1.5 with SHA-256).
 */
export type RsaPadding = "pss" | "pkcs1v15";

export interface SignOptions {
  /** RSA keys only: EC keys ignore it, so a format states its RSA rule once for every key. Default `pss`. */
  readonly rsaPadding?: RsaPadding;
}

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
  /** The key's own algorithm: what Notary envelopes, certificates and JWKs name. */
  readonly algorithm: SignatureAlgorithm;
  publicKey(): Promise<PublicKeyInfo>;
  /**
   * Signs `data` (the message, not a digest): one backend call per signature. The padding is an option
   * of this call, not a second method or a second signer, because one key serves every format (a KMS
   * RSA key offers PSS and PKCS#1 v1.5 alike, picked per Sign call) and because the formats that need
   * PKCS#1 v1.5 need it only when the key is RSA. Omitting `options` keeps the key's own algorithm.
   */
  sign(data: Uint8Array, encoding: SignatureEncoding, options?: SignOptions): Promise<Uint8Array>;
}
