import { UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  fixtureBytes,
  fixtureDelivery,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import {
  createTestOidcIssuer,
  pubsubClaims,
  type TestOidcIssuer,
} from "../../test/support/webhooks/google-oidc.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";
import { type GarSettings, garSettings, garSource } from "./gar.ts";

let issuer: TestOidcIssuer;
let settings: GarSettings;
const now = new Date("2026-11-22T12:00:00Z");

beforeAll(async () => {
  issuer = await createTestOidcIssuer();
  settings = garSettings.parse({
    kind: "gar",
    audience: "https://countersign.example/webhooks/gar",
    serviceAccountEmail: "pubsub-push@my-project.iam.gserviceaccount.com",
    jwks: issuer.jwks,
  });
});

function withToken(token: string | undefined) {
  return fixtureDelivery("gar-pubsub-push.json", {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    receivedAt: now,
  });
}

describe("gar authenticate", () => {
  it("accepts a token signed by a key of the key set, with Google's issuer, the audience and the email", async () => {
    for (const iss of ["https://accounts.google.com", "accounts.google.com"]) {
      const token = await issuer.sign(pubsubClaims({ iss }), { issuedAt: now });
      await expect(garSource.authenticate(withToken(token), settings)).resolves.toBeUndefined();
    }
  });

  it.each([
    ["another audience", { aud: "https://other.example/" }, '"aud"'],
    ["another issuer", { iss: "https://evil.example" }, '"iss"'],
    ["another service account", { email: "someone@my-project.iam.gserviceaccount.com" }, "service account"],
    ["an unverified email", { email_verified: false }, "not verified"],
    ["no email", { email: undefined }, '"email"'],
  ])("refuses %s", async (_name, overrides, message) => {
    const token = await issuer.sign(pubsubClaims(overrides), { issuedAt: now });
    const error = await garSource.authenticate(withToken(token), settings).catch((e) => e);
    expect(error).toBeInstanceOf(WebhookAuthError);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(token.split(".")[2]);
  });

  it("refuses an expired token, and one issued in the future, by the delivery's clock", async () => {
    const expired = await issuer.sign(pubsubClaims(), {
      issuedAt: new Date(now.getTime() - 7200_000),
      expiresAt: new Date(now.getTime() - 3600_000),
    });
    await expect(garSource.authenticate(withToken(expired), settings)).rejects.toThrow(
      '"exp" claim timestamp check failed',
    );
    const early = await issuer.sign(pubsubClaims({ nbf: Math.floor(now.getTime() / 1000) + 600 }), {
      issuedAt: now,
    });
    await expect(garSource.authenticate(withToken(early), settings)).rejects.toBeInstanceOf(WebhookAuthError);
  });

  it("refuses a token signed by a key outside the key set, an unsigned token, and no token", async () => {
    const stranger = await createTestOidcIssuer("test-key-1");
    const forged = await stranger.sign(pubsubClaims(), { issuedAt: now });
    await expect(garSource.authenticate(withToken(forged), settings)).rejects.toThrow(
      "signature verification failed",
    );
    const unknownKid = await stranger.sign(pubsubClaims(), { issuedAt: now, kid: "other" });
    await expect(garSource.authenticate(withToken(unknownKid), settings)).rejects.toBeInstanceOf(
      WebhookAuthError,
    );
    const unsecured = new UnsecuredJWT(pubsubClaims()).setIssuedAt().setExpirationTime("1h").encode();
    await expect(garSource.authenticate(withToken(unsecured), settings)).rejects.toBeInstanceOf(
      WebhookAuthError,
    );
    await expect(garSource.authenticate(withToken(undefined), settings)).rejects.toThrow(
      "missing Authorization header",
    );
    const basic = fixtureDelivery("gar-pubsub-push.json", { headers: { authorization: "Basic dTpw" } });
    await expect(garSource.authenticate(basic, settings)).rejects.toThrow("not a bearer token");
  });

  it("refuses an HS256 token keyed with the public key (algorithm confusion)", async () => {
    const { SignJWT } = await import("jose");
    const publicJwk = JSON.stringify(issuer.jwks.keys[0]);
    const token = await new SignJWT(pubsubClaims())
      .setProtectedHeader({ alg: "HS256", kid: "test-key-1" })
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 600)
      .sign(new TextEncoder().encode(publicJwk));
    await expect(garSource.authenticate(withToken(token), settings)).rejects.toThrow(
      '"alg" (Algorithm) Header Parameter value not allowed',
    );
  });

  it("defaults to Google's JWKS and refuses plain http off loopback", () => {
    const parsed = garSettings.parse({
      kind: "gar",
      audience: "a",
      serviceAccountEmail: "a@b.iam.gserviceaccount.com",
    });
    expect(parsed.jwks).toEqual({ url: "https://www.googleapis.com/oauth2/v3/certs" });
    const insecure = garSettings.safeParse({
      kind: "gar",
      audience: "a",
      serviceAccountEmail: "a@b.iam.gserviceaccount.com",
      jwks: { url: "http://keys.example/certs" },
    });
    expect(insecure.success).toBe(false);
  });
});

function envelopeWith(data: object | string) {
  const encoded = typeof data === "string" ? data : btoa(JSON.stringify(data));
  return webhookDelivery({ body: patchedFixture("gar-pubsub-push.json", { "message.data": encoded }) });
}

describe("gar parse", () => {
  it("parses the Pub/Sub envelope: host and repository from the digest reference, the tag, the message id", () => {
    expect(garSource.parse(withToken(undefined), settings)).toEqual({
      events: [
        {
          registry: "us-west1-docker.pkg.dev",
          repository: "my-project/my-repo/hello-world",
          tag: "1.1",
          digest: "sha256:6ec128e26cd5c6d4ba6b7e2e6ba4a8b6d1bdbd2fef0c4d6b1e8d0bcbc0f6a1d2",
          deliveryId: "2070443601311540",
        },
      ],
      ignored: [],
    });
  });

  it("accepts a digest-only insert and ignores deletes", () => {
    const digestOnly = envelopeWith({
      action: "INSERT",
      digest: `europe-docker.pkg.dev/p/r/app@sha256:${"d".repeat(64)}`,
    });
    expect(garSource.parse(digestOnly, settings).events).toEqual([
      {
        registry: "europe-docker.pkg.dev",
        repository: "p/r/app",
        digest: `sha256:${"d".repeat(64)}`,
        deliveryId: "2070443601311540",
      },
    ]);
    const deleted = envelopeWith({ action: "DELETE", tag: "europe-docker.pkg.dev/p/r/app:1" });
    expect(garSource.parse(deleted, settings).ignored).toEqual([
      { reason: "DELETE notification", eventId: "2070443601311540" },
    ]);
  });

  it.each([
    ["data that is not base64", "!!!", "message.data: not base64"],
    ["data that is not JSON", btoa("INSERT"), "message.data is not valid JSON"],
    [
      "a tag for another image",
      {
        action: "INSERT",
        digest: `gcr.io/p/app@sha256:${"a".repeat(64)}`,
        tag: "gcr.io/p/other:1",
      },
      "names another image",
    ],
    [
      "a digest reference that carries a tag",
      { action: "INSERT", digest: "gcr.io/p/app:1" },
      "message.data.digest",
    ],
    [
      "a reference without a host",
      { action: "INSERT", digest: `p/app@sha256:${"a".repeat(64)}` },
      "reference has no registry host",
    ],
    [
      "a sha512 digest",
      { action: "INSERT", digest: `gcr.io/p/app@sha512:${"a".repeat(128)}` },
      "only sha256",
    ],
    ["path traversal", { action: "INSERT", tag: "gcr.io/p/../../app:1" }, "message.data.tag: repository"],
    ["neither digest nor tag", { action: "INSERT" }, "names neither a digest nor a tag"],
    ["a number for the action", { action: 1 }, "message.data.action"],
  ])("rejects %s", (_name, data, message) => {
    const delivery = envelopeWith(data);
    expect(() => garSource.parse(delivery, settings)).toThrow(WebhookPayloadError);
    expect(() => garSource.parse(delivery, settings)).toThrow(message);
  });

  it("reports a foreign host in the reference as sent", () => {
    const delivery = envelopeWith({
      action: "INSERT",
      digest: `127.0.0.1:2375/p/app@sha256:${"a".repeat(64)}`,
    });
    expect(garSource.parse(delivery, settings).events[0]?.registry).toBe("127.0.0.1:2375");
  });

  it("reads a body without `message` as unwrapped data, and refuses it for what that lacks", () => {
    const delivery = webhookDelivery({ body: { subscription: "x" } });
    expect(() => garSource.parse(delivery, settings)).toThrow("invalid gar payload: action: Invalid input");
  });

  it("rejects a wrapped envelope whose message has no data", () => {
    const delivery = webhookDelivery({ body: { message: { messageId: "1" }, subscription: "x" } });
    expect(() => garSource.parse(delivery, settings)).toThrow("message.data: Invalid input");
  });
});

/** Pub/Sub with payload unwrapping: the body is the message data; "write metadata" adds headers. */
function unwrapped(body: object | Uint8Array, metadata = true) {
  return webhookDelivery({
    body,
    receivedAt: now,
    headers: {
      "content-type": "application/json",
      ...(metadata && {
        "x-goog-pubsub-subscription-name": "projects/my-project/subscriptions/countersign-push",
        "x-goog-pubsub-message-id": "2070443601311541",
        "x-goog-pubsub-publish-time": "2021-02-26T19:13:55.749Z",
      }),
    },
  });
}

describe("gar parse, payload unwrapping on", () => {
  const expected = {
    registry: "us-west1-docker.pkg.dev",
    repository: "my-project/my-repo/hello-world",
    tag: "1.1",
    digest: "sha256:6ec128e26cd5c6d4ba6b7e2e6ba4a8b6d1bdbd2fef0c4d6b1e8d0bcbc0f6a1d2",
  };

  it("parses the raw notification; the message id comes from the metadata header", () => {
    const delivery = unwrapped(fixtureBytes("gar-pubsub-unwrapped.json"));
    expect(garSource.parse(delivery, settings)).toEqual({
      events: [{ ...expected, deliveryId: "2070443601311541" }],
      ignored: [],
    });
  });

  it("parses it without write metadata too, with no delivery id", () => {
    const delivery = unwrapped(fixtureBytes("gar-pubsub-unwrapped.json"), false);
    expect(garSource.parse(delivery, settings)).toEqual({ events: [expected], ignored: [] });
  });

  it("yields the same event as the wrapped delivery of the same message", () => {
    const [wrappedEvent] = garSource.parse(withToken(undefined), settings).events;
    const [unwrappedEvent] = garSource.parse(
      unwrapped(fixtureBytes("gar-pubsub-unwrapped.json"), false),
      settings,
    ).events;
    expect({ ...wrappedEvent, deliveryId: undefined }).toEqual({ ...unwrappedEvent, deliveryId: undefined });
  });

  it("ignores a delete, with the message id", () => {
    const delivery = unwrapped({ action: "DELETE", tag: "us-west1-docker.pkg.dev/p/r/app:1" });
    expect(garSource.parse(delivery, settings)).toEqual({
      events: [],
      ignored: [{ reason: "DELETE notification", eventId: "2070443601311541" }],
    });
  });

  it.each([
    [
      "a digest reference that carries a tag",
      { action: "INSERT", digest: "gcr.io/p/app:1" },
      "digest: must be",
    ],
    ["neither digest nor tag", { action: "INSERT" }, "(body): names neither a digest nor a tag"],
    ["a number for the action", { action: 1 }, "action: Invalid input"],
  ])("rejects %s, naming the field at the root", (_name, data, message) => {
    const delivery = unwrapped(data);
    expect(() => garSource.parse(delivery, settings)).toThrow(WebhookPayloadError);
    expect(() => garSource.parse(delivery, settings)).toThrow(message);
  });

  it("authenticates an unwrapped delivery with the same OIDC token check", async () => {
    const token = await issuer.sign(pubsubClaims(), { issuedAt: now });
    const delivery = webhookDelivery({
      body: fixtureBytes("gar-pubsub-unwrapped.json"),
      headers: { authorization: `Bearer ${token}` },
      receivedAt: now,
    });
    await expect(garSource.authenticate(delivery, settings)).resolves.toBeUndefined();
    const forged = await (await createTestOidcIssuer()).sign(pubsubClaims(), { issuedAt: now });
    const refused = webhookDelivery({
      body: fixtureBytes("gar-pubsub-unwrapped.json"),
      headers: { authorization: `Bearer ${forged}` },
      receivedAt: now,
    });
    await expect(garSource.authenticate(refused, settings)).rejects.toBeInstanceOf(WebhookAuthError);
  });
});
