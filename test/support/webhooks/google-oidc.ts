// A stand-in for Google's OIDC signer: an RS256 key pair, its JWKS, and Pub/Sub-shaped push tokens.
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

export interface TestOidcIssuer {
  readonly jwks: { readonly keys: JWK[] };
  sign(
    claims: JWTPayload,
    options?: { readonly kid?: string; readonly expiresAt?: Date; readonly issuedAt?: Date },
  ): Promise<string>;
}

export async function createTestOidcIssuer(kid = "test-key-1"): Promise<TestOidcIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return {
    jwks: { keys: [jwk] },
    async sign(claims, options = {}) {
      const issuedAt = options.issuedAt ?? new Date();
      const expiresAt = options.expiresAt ?? new Date(issuedAt.getTime() + 3600_000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: options.kid ?? kid, typ: "JWT" })
        .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(privateKey);
    },
  };
}

/** Claims Pub/Sub puts in a push token (cloud.google.com/pubsub/docs/authenticate-push-subscriptions). */
export function pubsubClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: "https://accounts.google.com",
    aud: "https://countersign.example/webhooks/gar",
    azp: "113774264463038321964",
    sub: "113774264463038321964",
    email: "pubsub-push@my-project.iam.gserviceaccount.com",
    email_verified: true,
    ...overrides,
  };
}
