// Every source, through the entry point the app uses: the right credential passes, a missing or wrong
// one is a WebhookAuthError whose message (and whole cause chain) never contains the secret, and an
// unauthenticated body is never parsed.
import { beforeAll, describe, expect, it } from "vitest";
import { fixtureBytes } from "../../test/support/webhooks/delivery.ts";
import {
  createTestOidcIssuer,
  pubsubClaims,
  type TestOidcIssuer,
} from "../../test/support/webhooks/google-oidc.ts";
import { WebhookAuthError } from "./errors.ts";
import { hmacSha256Hex } from "./hmac.ts";
import {
  MAX_WEBHOOK_BODY_BYTES,
  receiveWebhook,
  type WebhookDelivery,
  type WebhookSourceKind,
  webhookSourceKinds,
  webhookSourceSettings,
} from "./index.ts";

const SECRET = "S3cret-Countersign-Webhook-Value";
const now = new Date("2026-11-22T12:00:00Z");
let oidc: TestOidcIssuer;

beforeAll(async () => {
  oidc = await createTestOidcIssuer();
});

interface Case {
  readonly settings: unknown;
  readonly fixture: string;
  readonly headers?: Record<string, string>;
  /** Credentials of a good delivery, as headers and URL query. */
  good(body: Uint8Array): Promise<{ headers: Record<string, string>; query: string }>;
  /** The same, with the secret replaced by a near miss. */
  bad(body: Uint8Array): Promise<{ headers: Record<string, string>; query: string }>;
}

const header = (name: string, good: string, bad: string): Pick<Case, "good" | "bad"> => ({
  good: async () => ({ headers: { [name]: good }, query: "" }),
  bad: async () => ({ headers: { [name]: bad }, query: "" }),
});
const query = (name: string): Pick<Case, "good" | "bad"> => ({
  good: async () => ({ headers: {}, query: `?${name}=${SECRET}` }),
  bad: async () => ({ headers: {}, query: `?${name}=${SECRET.slice(0, -1)}` }),
});

const cases: Record<WebhookSourceKind, Case> = {
  distribution: {
    settings: { kind: "distribution", auth: { bearer: SECRET } },
    fixture: "distribution-2.8-cosign-signature-push.json",
    ...header("authorization", `Bearer ${SECRET}`, `Bearer ${SECRET}x`),
  },
  harbor: {
    settings: { kind: "harbor", auth: { value: SECRET } },
    fixture: "harbor-default-push.json",
    ...header("authorization", SECRET, SECRET.toLowerCase()),
  },
  dockerhub: {
    settings: { kind: "dockerhub", token: SECRET },
    fixture: "dockerhub-push.json",
    ...query("token"),
  },
  github: {
    settings: { kind: "github", secret: SECRET },
    fixture: "github-package-published.json",
    headers: { "x-github-event": "package" },
    good: async (body) => ({
      headers: { "x-hub-signature-256": `sha256=${await hmacSha256Hex(SECRET, body)}` },
      query: "",
    }),
    bad: async (body) => ({
      headers: { "x-hub-signature-256": `sha256=${await hmacSha256Hex(`${SECRET}!`, body)}` },
      query: "",
    }),
  },
  ecr: {
    settings: { kind: "ecr", auth: { header: "x-api-key", value: SECRET } },
    fixture: "ecr-eventbridge-push.json",
    ...header("x-api-key", SECRET, `${SECRET.slice(0, 8)}`),
  },
  acr: {
    settings: { kind: "acr", auth: { header: "X-Acr-Token", value: SECRET } },
    fixture: "acr-push.json",
    ...header("x-acr-token", SECRET, "wrong"),
  },
  quay: {
    settings: { kind: "quay", token: SECRET, tokenParameter: "key" },
    fixture: "quay-repo-push.json",
    ...query("key"),
  },
  gar: {
    settings: {
      kind: "gar",
      audience: "https://countersign.example/webhooks/gar",
      serviceAccountEmail: "pubsub-push@my-project.iam.gserviceaccount.com",
      // Filled in from the test issuer in beforeAll (see settingsOf).
      jwks: { keys: [{ kty: "RSA" }] },
    },
    fixture: "gar-pubsub-push.json",
    good: async () => ({
      headers: { authorization: `Bearer ${await oidc.sign(pubsubClaims(), { issuedAt: now })}` },
      query: "",
    }),
    bad: async () => ({
      headers: {
        authorization: `Bearer ${await oidc.sign(pubsubClaims({ aud: "https://elsewhere.example" }), { issuedAt: now })}`,
      },
      query: "",
    }),
  },
  artifactory: {
    settings: {
      kind: "artifactory",
      secret: SECRET,
      secretMode: "hmac-sha256",
      registry: "example.jfrog.io",
    },
    fixture: "artifactory-docker-pushed.json",
    good: async (body) => ({
      headers: { "x-jfrog-event-auth": await hmacSha256Hex(SECRET, body) },
      query: "",
    }),
    bad: async () => ({ headers: { "x-jfrog-event-auth": SECRET }, query: "" }),
  },
  zot: {
    settings: {
      kind: "zot",
      auth: { basic: { username: "zot", password: SECRET } },
      registry: "zot.example",
    },
    fixture: "zot-image-updated-data.json",
    headers: {
      "ce-specversion": "1.0",
      "ce-id": "1",
      "ce-source": "zotregistry.dev",
      "ce-type": "zotregistry.image.updated",
    },
    ...header("authorization", `Basic ${btoa(`zot:${SECRET}`)}`, `Basic ${btoa(`zot:${SECRET}.`)}`),
  },
};

function settingsOf(kind: WebhookSourceKind) {
  const raw = cases[kind].settings as Record<string, unknown>;
  return webhookSourceSettings.parse(kind === "gar" ? { ...raw, jwks: oidc.jwks } : raw);
}

function delivery(
  kind: WebhookSourceKind,
  body: Uint8Array,
  credential: { headers: Record<string, string>; query: string },
): WebhookDelivery {
  return {
    body,
    headers: new Headers({
      "content-type": "application/json",
      ...cases[kind].headers,
      ...credential.headers,
    }),
    url: new URL(`http://127.0.0.1:8080/webhooks/${kind}${credential.query}`),
    receivedAt: now,
  };
}

function chainText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) parts.push(e.name, e.message, String(e.stack));
  return parts.join("\n");
}

describe("receiveWebhook, for every source", () => {
  it("covers every registered kind", () => {
    expect([...webhookSourceKinds].sort()).toEqual(Object.keys(cases).sort());
    expect(MAX_WEBHOOK_BODY_BYTES).toBe(1048576);
  });

  it.each(Object.keys(cases) as WebhookSourceKind[])(
    "%s: the right credential yields events",
    async (kind) => {
      const body = fixtureBytes(cases[kind].fixture);
      const parsed = await receiveWebhook(
        delivery(kind, body, await cases[kind].good(body)),
        settingsOf(kind),
      );
      expect(parsed.events.length).toBeGreaterThan(0);
    },
  );

  it.each(Object.keys(cases) as WebhookSourceKind[])(
    "%s: a wrong or missing credential is a WebhookAuthError that never shows the secret",
    async (kind) => {
      const body = fixtureBytes(cases[kind].fixture);
      for (const credential of [await cases[kind].bad(body), { headers: {}, query: "" }]) {
        const error = await receiveWebhook(delivery(kind, body, credential), settingsOf(kind)).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(WebhookAuthError);
        const text = chainText(error);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(btoa(`zot:${SECRET}`));
      }
    },
  );

  it.each(Object.keys(cases) as WebhookSourceKind[])(
    "%s: an unauthenticated body is not parsed",
    async (kind) => {
      const garbage = new TextEncoder().encode("{ not json");
      const error = await receiveWebhook(
        delivery(kind, garbage, await cases[kind].bad(garbage)),
        settingsOf(kind),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebhookAuthError);
    },
  );

  it("refuses settings of an unknown kind, naming the field", () => {
    const result = webhookSourceSettings.safeParse({ kind: "gitlab", token: SECRET });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["kind"]);
    expect(JSON.stringify(result.error?.issues)).not.toContain(SECRET);
  });
});
