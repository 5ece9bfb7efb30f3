// Google Artifact Registry (and Container Registry) notifications through a Pub/Sub push subscription
// (cloud.google.com/artifact-registry/docs/configure-notifications). Pub/Sub authenticates with an
// OIDC token (`Authorization: Bearer <JWT>`, cloud.google.com/pubsub/docs/authenticate-push-subscriptions):
// verified here with jose against Google's JWKS (or a configured one), then issuer, audience, service
// account email and `email_verified`. `message.data` is base64 JSON: `{"action":"INSERT",
// "digest":"<host>/<project>/<repo>/<image>@sha256:…","tag":"<host>/<project>/<repo>/<image>:<tag>"}`.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { z } from "zod";
import { fromBase64 } from "../encoding.ts";
import { WebhookAuthError, WebhookAuthUnavailableError } from "./errors.ts";
import { imageReference } from "./image-reference.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { decodeJson, readJsonBody, rejectPayload, validatePayload } from "./payload.ts";
import type { ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";

export const GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs";
/** Google ID tokens carry either spelling (developers.google.com/identity/openid-connect). */
export const GOOGLE_ISSUERS: readonly string[] = ["https://accounts.google.com", "accounts.google.com"];

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** https only, except plain http on loopback (a local JWKS in tests and development). */
const jwksUrl = z.url().refine(
  (text) => {
    const url = new URL(text);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
  },
  { error: "JWKS URL must be https (http only on loopback)" },
);

export const garSettings = z.strictObject({
  kind: z.literal("gar"),
  /** The push subscription's audience (by default Pub/Sub uses the push endpoint URL). */
  audience: z.string().min(1),
  /** The service account the subscription's tokens are minted for. */
  serviceAccountEmail: z.email(),
  /** Where the signing keys come from: Google's certificates by default, or an inline key set. */
  jwks: z
    .union([
      z.strictObject({ url: jwksUrl }),
      z.strictObject({
        keys: z
          .array(z.looseObject({ kty: z.string() }))
          .min(1)
          .max(100),
      }),
    ])
    .default({ url: GOOGLE_JWKS_URL }),
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
});
export type GarSettings = z.infer<typeof garSettings>;

/** Raised by our key resolver when the key set itself could not be obtained (fetch failed, bad JSON). */
class KeySetUnavailable extends Error {
  override readonly name = "KeySetUnavailable";
}

// One remote key set per URL for the life of the process: jose caches and refreshes keys inside it.
const remoteKeySets = new Map<string, JWTVerifyGetKey>();
const localKeySets = new WeakMap<object, JWTVerifyGetKey>();

function keySetFor(jwks: GarSettings["jwks"]): JWTVerifyGetKey {
  if ("keys" in jwks) {
    let local = localKeySets.get(jwks);
    if (local === undefined) {
      local = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
      localKeySets.set(jwks, local);
    }
    return local;
  }
  let remote = remoteKeySets.get(jwks.url);
  if (remote === undefined) {
    const keySet = createRemoteJWKSet(new URL(jwks.url));
    remote = async (header, token) => {
      try {
        return await keySet(header, token);
      } catch (error) {
        // No key for this `kid` is the token's fault; anything else is the key set's.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
          throw error;
        throw new KeySetUnavailable("the JWKS could not be fetched", { cause: error });
      }
    };
    remoteKeySets.set(jwks.url, remote);
  }
  return remote;
}

function bearerToken(headers: Headers): string {
  const authorization = headers.get("authorization");
  if (authorization === null) throw new WebhookAuthError("missing Authorization header");
  const match = /^bearer +([A-Za-z0-9_=.-]+)$/i.exec(authorization);
  if (!match) throw new WebhookAuthError("Authorization header is not a bearer token");
  return match[1]!;
}

async function authenticateGar(delivery: WebhookDelivery, settings: GarSettings): Promise<void> {
  const token = bearerToken(delivery.headers);
  let claims: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, keySetFor(settings.jwks), {
      algorithms: ["RS256"],
      issuer: [...GOOGLE_ISSUERS],
      audience: settings.audience,
      requiredClaims: ["exp", "iat", "email"],
      currentDate: delivery.receivedAt,
      clockTolerance: settings.clockToleranceSeconds,
    });
    claims = verified.payload;
  } catch (error) {
    if (error instanceof KeySetUnavailable)
      throw new WebhookAuthUnavailableError(error.message, { cause: error });
    // jose's messages name the failed check (e.g. `unexpected "aud" claim value`), never the token.
    const reason = error instanceof errors.JOSEError ? `: ${error.message}` : "";
    throw new WebhookAuthError(`OIDC token rejected${reason}`, { cause: error });
  }
  if (claims.email !== settings.serviceAccountEmail) {
    throw new WebhookAuthError("OIDC token is not for the configured service account");
  }
  if (claims.email_verified !== true) throw new WebhookAuthError("OIDC token email is not verified");
}

const envelope = z.object({
  message: z.object({
    data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: "not base64" }),
    messageId: z.string().max(MAX_FIELD_LENGTH).optional(),
  }),
});

const notification = z.object({
  action: z.string().max(MAX_FIELD_LENGTH),
  digest: imageReference.optional(),
  tag: imageReference.optional(),
});

function parseGar(delivery: WebhookDelivery): ParsedDelivery {
  const { message } = validatePayload(envelope, readJsonBody(delivery), "gar");
  const messageId = message.messageId;
  let data: Uint8Array;
  try {
    data = fromBase64(message.data);
  } catch {
    rejectPayload("gar", "message.data", "not base64");
  }
  const event = validatePayload(notification, decodeJson(data, "message.data"), "gar", "message.data");
  if (event.action !== "INSERT") {
    const reason = `${event.action} notification`;
    return { events: [], ignored: [{ reason, ...(messageId !== undefined && { eventId: messageId }) }] };
  }
  const { digest, tag } = event;
  if (digest !== undefined && (digest.digest === undefined || digest.tag !== undefined)) {
    rejectPayload("gar", "message.data.digest", "must be <image>@sha256:<hex>");
  }
  if (tag !== undefined && (tag.tag === undefined || tag.digest !== undefined)) {
    rejectPayload("gar", "message.data.tag", "must be <image>:<tag>");
  }
  const image = digest ?? tag;
  if (image === undefined) rejectPayload("gar", "message.data", "names neither a digest nor a tag");
  if (digest && tag && (digest.registry !== tag.registry || digest.repository !== tag.repository)) {
    rejectPayload("gar", "message.data.tag", "names another image than message.data.digest");
  }
  return {
    events: [
      {
        registry: image.registry,
        repository: image.repository,
        ...(tag?.tag !== undefined && { tag: tag.tag }),
        ...(digest?.digest !== undefined && { digest: digest.digest }),
        ...(messageId !== undefined && { deliveryId: messageId }),
      },
    ],
    ignored: [],
  };
}

export const garSource: WebhookSource<GarSettings, typeof garSettings> = {
  kind: "gar",
  settings: garSettings,
  summary:
    "Google Artifact Registry via Pub/Sub push (OIDC JWT). settings: audience, serviceAccountEmail, jwks.",
  authenticate: authenticateGar,
  parse: parseGar,
};
