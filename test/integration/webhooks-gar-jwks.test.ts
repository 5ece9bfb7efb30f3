// GAR's OIDC check against a key set fetched over HTTP (jose's remote JWKS), served on loopback the way
// https://www.googleapis.com/oauth2/v3/certs serves Google's keys; and what happens when it is down.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookAuthError, WebhookAuthUnavailableError } from "../../lib/webhooks/errors.ts";
import { garSettings, garSource } from "../../lib/webhooks/gar.ts";
import { freePort } from "../support/registry/distribution.ts";
import { fixtureDelivery } from "../support/webhooks/delivery.ts";
import { createTestOidcIssuer, pubsubClaims, type TestOidcIssuer } from "../support/webhooks/google-oidc.ts";

let issuer: TestOidcIssuer;
let server: Server;
let base: string;
let requests = 0;

const settingsFor = (path: string) =>
  garSettings.parse({
    kind: "gar",
    audience: "https://countersign.example/webhooks/gar",
    serviceAccountEmail: "pubsub-push@my-project.iam.gserviceaccount.com",
    jwks: { url: `${base}${path}` },
  });

const withToken = (token: string) =>
  fixtureDelivery("gar-pubsub-push.json", { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  issuer = await createTestOidcIssuer("loopback-key");
  server = createServer((request, response) => {
    requests++;
    if (request.url === "/oauth2/v3/certs") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(issuer.jwks));
    } else {
      response.writeHead(500).end("down");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe("gar with a remote JWKS", () => {
  it("verifies tokens against the fetched keys and caches them", async () => {
    const settings = settingsFor("/oauth2/v3/certs");
    const before = requests;
    for (let i = 0; i < 3; i++) {
      await expect(
        garSource.authenticate(withToken(await issuer.sign(pubsubClaims())), settings),
      ).resolves.toBeUndefined();
    }
    expect(requests - before).toBe(1);
    const stranger = await createTestOidcIssuer("loopback-key");
    await expect(
      garSource.authenticate(withToken(await stranger.sign(pubsubClaims())), settings),
    ).rejects.toBeInstanceOf(WebhookAuthError);
  });

  it("reports an unreachable or failing key set as unavailable, not as a forged request", async () => {
    const token = await issuer.sign(pubsubClaims());
    const failing = await garSource.authenticate(withToken(token), settingsFor("/broken")).catch((e) => e);
    expect(failing).toBeInstanceOf(WebhookAuthUnavailableError);
    const closed = garSettings.parse({
      ...settingsFor("/x"),
      jwks: { url: `http://127.0.0.1:${await freePort()}/certs` },
    });
    const unreachable = await garSource.authenticate(withToken(token), closed).catch((e) => e);
    expect(unreachable).toBeInstanceOf(WebhookAuthUnavailableError);
    expect(unreachable.message).not.toContain(token);
  });
});
