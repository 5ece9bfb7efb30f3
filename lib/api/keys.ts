// The public keys signatures are made with, for verifiers: PEM and JWK per key, and a JWK Set.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Signer } from "../signing/signer.ts";
import type { AppEnv } from "./env.ts";
import { json } from "./openapi.ts";
import { JwksSchema, KeyListSchema, type PublicKey } from "./schemas.ts";

/** What the key endpoints need of a signer: no signing. */
export type PublicKeySource = Pick<Signer, "keyId" | "algorithm" | "publicKey">;

export const keysRoute = createRoute({
  method: "get",
  path: "/v1/keys",
  tags: ["keys"],
  summary: "The public keys signatures are made with (PEM and JWK)",
  responses: { 200: json("The configured signing keys.", KeyListSchema) },
});

export const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["keys"],
  summary: "The public keys as a JWK Set (RFC 7517)",
  responses: { 200: json("The configured signing keys.", JwksSchema) },
});

// Public keys change only with a redeploy; let caches and verifiers keep them a while.
const CACHE_CONTROL = "public, max-age=300";

export function keyRoutes(app: OpenAPIHono<AppEnv>, signers: readonly PublicKeySource[]): void {
  let cached: ReturnType<typeof loadKeys> | undefined;
  // Computed once (a KMS GetPublicKey each), on first use rather than at startup: Workers forbid I/O
  // at global scope, and a failed first attempt is retried on the next request.
  const keys = () => {
    cached ??= loadKeys(signers).catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };

  app.openapi(keysRoute, async (c) => {
    c.header("Cache-Control", CACHE_CONTROL);
    return c.json({ keys: await keys() }, 200);
  });

  app.openapi(jwksRoute, async (c) => {
    c.header("Cache-Control", CACHE_CONTROL);
    return c.json({ keys: (await keys()).map((key) => key.jwk) }, 200);
  });
}

async function loadKeys(signers: readonly PublicKeySource[]): Promise<PublicKey[]> {
  return Promise.all(
    signers.map(async (signer) => {
      const info = await signer.publicKey();
      // A public JWK is plain JSON; the DOM JsonWebKey type just does not say so.
      const jwk = info.jwk as unknown as PublicKey["jwk"];
      return { keyId: signer.keyId, algorithm: signer.algorithm, pem: info.pem, jwk };
    }),
  );
}
