// An OIDC token checked with jose: signature against a key set, issuer, audience, required claims,
// expiry. Each caller maps the two failures to its own edge (a REST problem, a webhook error).
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { KeySetUnavailableError } from "./key-set.ts";

export interface VerifyOidcTokenOptions {
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string | readonly string[];
  readonly audience: string;
  readonly requiredClaims: readonly string[];
  readonly now: Date;
  readonly clockToleranceSeconds: number;
}

/** The token does not verify; `reason` is jose's, which names the failed check and never the token. */
export class OidcTokenRejectedError extends Error {
  override readonly name = "OidcTokenRejectedError";
  readonly reason: string | undefined;
  constructor(reason: string | undefined, options?: ErrorOptions) {
    super(reason === undefined ? "token rejected" : `token rejected: ${reason}`, options);
    this.reason = reason;
  }
}

/** The verified claims; throws KeySetUnavailableError (an outage) or OidcTokenRejectedError. */
export async function verifyOidcToken(token: string, options: VerifyOidcTokenOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, options.keys, {
      // Both issuers sign with RS256 only (GitHub's and Google's key sets hold RSA keys).
      algorithms: ["RS256"],
      issuer: typeof options.issuer === "string" ? options.issuer : [...options.issuer],
      audience: options.audience,
      requiredClaims: [...options.requiredClaims],
      currentDate: options.now,
      clockTolerance: options.clockToleranceSeconds,
    });
    return payload;
  } catch (error) {
    if (error instanceof KeySetUnavailableError) throw error;
    const reason = error instanceof errors.JOSEError ? error.message : undefined;
    throw new OidcTokenRejectedError(reason, { cause: error });
  }
}
