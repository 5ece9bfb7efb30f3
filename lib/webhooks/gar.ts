// Google Artifact Registry (and Container Registry) notifications through a Pub/Sub push subscription
// (cloud.google.com/artifact-registry/docs/configure-notifications). Pub/Sub authenticates with an
// OIDC token (`Authorization: Bearer <JWT>`, cloud.google.com/pubsub/docs/authenticate-push-subscriptions):
// verified here with jose against Google's JWKS (or a configured one), then issuer, audience, service
// account email and `email_verified`. The notification is JSON: `{"action":"INSERT",
// "digest":"<host>/<project>/<repo>/<image>@sha256:…","tag":"<host>/<project>/<repo>/<image>:<tag>"}`,
// delivered either wrapped (`{"message":{"data":<base64>,"messageId":…},"subscription":…}`) or, with
// payload unwrapping on (cloud.google.com/pubsub/docs/payload-unwrapping), as the raw body, the message
// id then in `x-goog-pubsub-message-id` when "write metadata" is on. The token is the same in both.
import type { JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { fromBase64 } from "../encoding.ts";
import { KeySetUnavailableError, localKeySet, remoteKeySet } from "../oidc/key-set.ts";
import { OidcTokenRejectedError, verifyOidcToken } from "../oidc/verify-token.ts";
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

// One key set per configured set for the life of the process: jose caches and refreshes keys inside.
const remoteKeySets = new Map<string, JWTVerifyGetKey>();
const localKeySets = new WeakMap<object, JWTVerifyGetKey>();

function keySetFor(jwks: GarSettings["jwks"]): JWTVerifyGetKey {
  if ("keys" in jwks) {
    let local = localKeySets.get(jwks);
    if (local === undefined) {
      local = localKeySet(jwks);
      localKeySets.set(jwks, local);
    }
    return local;
  }
  let remote = remoteKeySets.get(jwks.url);
  if (remote === undefined) {
    remote = remoteKeySet(jwks.url, "the JWKS");
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
    claims = await verifyOidcToken(token, {
      keys: keySetFor(settings.jwks),
      issuer: GOOGLE_ISSUERS,
      audience: settings.audience,
      requiredClaims: ["exp", "iat", "email"],
      now: delivery.receivedAt,
      clockToleranceSeconds: settings.clockToleranceSeconds,
    });
  } catch (error) {
    if (error instanceof KeySetUnavailableError)
      throw new WebhookAuthUnavailableError(error.message, { cause: error });
    const reason = error instanceof OidcTokenRejectedError && error.reason ? `: ${error.reason}` : "";
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

/** Header Pub/Sub sets on an unwrapped delivery when the subscription writes metadata. */
const MESSAGE_ID_HEADER = "x-goog-pubsub-message-id";

interface Message {
  readonly notification: unknown;
  readonly messageId: string | undefined;
  /** Where the notification sits in the body, for issue paths: `message.data`, or `""` unwrapped. */
  readonly at: string;
}

/** A wrapped delivery is an object with `message`; GAR's notification never has that field. */
function isWrapped(body: unknown): boolean {
  return typeof body === "object" && body !== null && !Array.isArray(body) && "message" in body;
}

function readMessage(delivery: WebhookDelivery): Message {
  const body = readJsonBody(delivery);
  if (!isWrapped(body)) {
    const header = delivery.headers.get(MESSAGE_ID_HEADER)?.slice(0, MAX_FIELD_LENGTH);
    return { notification: body, messageId: header || undefined, at: "" };
  }
  const { message } = validatePayload(envelope, body, "gar");
  let data: Uint8Array;
  try {
    data = fromBase64(message.data);
  } catch {
    rejectPayload("gar", "message.data", "not base64");
  }
  return {
    notification: decodeJson(data, "message.data"),
    messageId: message.messageId,
    at: "message.data",
  };
}

function parseGar(delivery: WebhookDelivery): ParsedDelivery {
  const { notification: raw, messageId, at } = readMessage(delivery);
  const field = (name: string) => (at ? `${at}.${name}` : name);
  const event = validatePayload(notification, raw, "gar", at);
  if (event.action !== "INSERT") {
    const reason = `${event.action} notification`;
    return { events: [], ignored: [{ reason, ...(messageId !== undefined && { eventId: messageId }) }] };
  }
  const { digest, tag } = event;
  if (digest !== undefined && (digest.digest === undefined || digest.tag !== undefined)) {
    rejectPayload("gar", field("digest"), "must be <image>@sha256:<hex>");
  }
  if (tag !== undefined && (tag.tag === undefined || tag.digest !== undefined)) {
    rejectPayload("gar", field("tag"), "must be <image>:<tag>");
  }
  const image = digest ?? tag;
  if (image === undefined) rejectPayload("gar", at, "names neither a digest nor a tag");
  if (digest && tag && (digest.registry !== tag.registry || digest.repository !== tag.repository)) {
    rejectPayload("gar", field("tag"), `names another image than ${field("digest")}`);
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
    "Google Artifact Registry via Pub/Sub push, wrapped or unwrapped (OIDC JWT). settings: audience, serviceAccountEmail, jwks.",
  authenticate: authenticateGar,
  parse: parseGar,
};
