// OIDC key sets for jose's jwtVerify, as the GitHub Actions API caller and the GAR (Pub/Sub) webhook
// both need them: a remote set that tells "the key set could not be fetched" (an outage: answer 503,
// let the sender retry) apart from "no key for this token" (the token's fault: 401).
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";

/** Thrown by a remote key set when the set itself could not be obtained: an outage, not a forgery. */
export class KeySetUnavailableError extends Error {
  override readonly name = "KeySetUnavailableError";
}

/** `what` names the set in the error (`the GitHub Actions key set`); jose caches and refreshes keys inside. */
export function remoteKeySet(url: string, what: string, fetchJwks?: typeof fetch): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), {
    ...(fetchJwks !== undefined && { [customFetch]: fetchJwks }),
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw new KeySetUnavailableError(`${what} could not be fetched`, { cause: error });
    }
  };
}

/** A key set given inline (configuration, tests). */
export function localKeySet(jwks: { readonly keys: readonly object[] }): JWTVerifyGetKey {
  return createLocalJWKSet(jwks as unknown as JSONWebKeySet);
}
