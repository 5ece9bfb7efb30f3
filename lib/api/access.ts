// Which requests need credentials. Default deny: every path needs a caller when API credentials are
// configured, except the public ones (health, metrics, public keys, the API description) and webhooks,
// which authenticate their own senders. Signing on demand always needs a caller.
import type { MiddlewareHandler } from "hono";
import type { ApiAuthenticator } from "./api-auth.ts";
import type { AppEnv } from "./env.ts";

/** Routes that need no credentials at all, whatever is configured. */
export const PUBLIC_PATHS: readonly string[] = [
  "/healthz",
  "/metrics",
  "/.well-known/jwks.json",
  "/v1/keys",
  "/openapi.json",
  "/docs",
];

const SIGN_PATH = "/v1/signatures";

export function apiAccess(authenticator: ApiAuthenticator): MiddlewareHandler<AppEnv> {
  const publicPaths = new Set(PUBLIC_PATHS);
  return async (c, next) => {
    const path = c.req.path;
    const open = publicPaths.has(path) || path.startsWith("/webhooks/");
    const required = path === SIGN_PATH || (!open && authenticator.configured);
    if (required) {
      const caller = await authenticator.authenticate(c.req.header("Authorization") ?? null);
      c.set("caller", caller);
      c.get("log").debug("caller authenticated", { caller: caller.kind });
    }
    await next();
  };
}
