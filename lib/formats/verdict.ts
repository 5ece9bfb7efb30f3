// What a verifier answers. A verdict is a value, never an exception: hostile input is the normal
// case for a verifier, and callers (REST, CLI, the attach job) report the reason as data.

export type FailureCode =
  /** Not this format at all, or not parseable (e.g. a layer that is not a JWS). */
  | "malformed"
  /** Understood but outside what the format allows (algorithm, signing scheme, critical header). */
  | "unsupported"
  /** The cryptographic signature does not verify: payload or signature altered, or another key. */
  | "signature"
  /** The verification key is unusable, or the signature names a different key. */
  | "key"
  /** The signature is over some other artifact than the subject asked about. */
  | "subject"
  /** The certificate chain breaks a rule (issuance, key usage, basic constraints, key size). */
  | "certificate"
  /** The chain is sound but reaches no certificate of the trust store. */
  | "untrusted"
  /** The signature's expiry, or a certificate's validity period, has passed (or not begun). */
  | "expired"
  /** `io.cncf.notary.x509chain.thumbprint#S256` does not list the envelope's certificates. */
  | "thumbprint"
  /** A transparency-log entry in a bundle does not verify, or cannot be checked (no trusted log). */
  | "transparency"
  /** An RFC 3161 timestamp is missing where required, or does not verify against the trusted TSAs. */
  | "timestamp"
  /** The signer is not one of the trust policy's trusted identities. */
  | "identity"
  /** No trust policy statement applies to the artifact. */
  | "policy";

export interface VerificationFailure<Format extends string = string> {
  readonly ok: false;
  readonly format: Format;
  readonly code: FailureCode;
  readonly reason: string;
}

export type Verdict<Success extends { readonly ok: true; readonly format: string }> =
  | Success
  | VerificationFailure<Success["format"]>;

/** Thrown inside a verifier's steps, caught once at its edge and turned into a `VerificationFailure`. */
export class Rejection extends Error {
  override readonly name = "Rejection";
  readonly code: FailureCode;

  constructor(code: FailureCode, reason: string, options?: ErrorOptions) {
    super(reason, options);
    this.code = code;
  }
}

export function reject(code: FailureCode, reason: string, options?: ErrorOptions): never {
  throw new Rejection(code, reason, options);
}

/** Runs a verifier body, turning a `Rejection` into the failure verdict; anything else is a bug and propagates. */
export async function verdictOf<Success extends { readonly ok: true; readonly format: string }>(
  format: Success["format"],
  body: () => Promise<Success>,
): Promise<Verdict<Success>> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, format, code: error.code, reason: error.message };
    throw error;
  }
}
