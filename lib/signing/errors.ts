// Typed errors of lib/signing. Messages name keys by id, URI or path, never by their material.

export class SigningError extends Error {
  override readonly name: string = "SigningError";
}

/** A key (PEM, JWK, SPKI, PKCS#8) that cannot be read. */
export class KeyFormatError extends SigningError {
  override readonly name: string = "KeyFormatError";
}

/** A readable key whose type, size or usage Countersign refuses (e.g. RSA-1024, secp256k1, PKCS#1 v1.5). */
export class UnsupportedKeyError extends SigningError {
  override readonly name: string = "UnsupportedKeyError";
}

/** ECDSA signature bytes that are not a valid DER `Ecdsa-Sig-Value` or raw r‖s of the expected size. */
export class SignatureEncodingError extends SigningError {
  override readonly name: string = "SignatureEncodingError";
}

/** An `awskms://` URI that does not match cosign's grammar. */
export class KmsKeyUriError extends SigningError {
  override readonly name: string = "KmsKeyUriError";
}

export interface KmsErrorDetails {
  /** The KMS operation, e.g. `Sign`. */
  readonly operation: string;
  /** The key as the user named it (URI key part or ARN). */
  readonly key: string;
  /** AWS error name (`NotFoundException`, ...) or `NetworkError`. */
  readonly code: string;
  readonly retryable: boolean;
  readonly attempts: number;
}

/** A KMS call that failed (after retries, when the failure was transient). */
export class KmsError extends SigningError {
  override readonly name: string = "KmsError";
  readonly operation: string;
  readonly key: string;
  readonly code: string;
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(message: string, details: KmsErrorDetails, options?: ErrorOptions) {
    super(message, options);
    this.operation = details.operation;
    this.key = details.key;
    this.code = details.code;
    this.retryable = details.retryable;
    this.attempts = details.attempts;
  }
}

/** A certificate or chain that cannot be parsed or built. */
export class CertificateError extends SigningError {
  override readonly name: string = "CertificateError";
}
