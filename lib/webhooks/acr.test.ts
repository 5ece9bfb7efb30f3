import { describe, expect, it } from "vitest";
import {
  fixtureDelivery,
  type JsonPatch,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { acrSettings, acrSource } from "./acr.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";

const settings = acrSettings.parse({
  kind: "acr",
  auth: { header: "X-Webhook-Secret", value: "acr-custom-secret" },
});

describe("acr", () => {
  it("parses the documented push: login server from request.host", () => {
    expect(acrSource.parse(fixtureDelivery("acr-push.json"), settings)).toEqual({
      events: [
        {
          registry: "myregistry.azurecr.io",
          repository: "hello-world",
          tag: "v1",
          digest: "sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d",
          mediaType: "application/vnd.docker.distribution.manifest.v2+json",
          deliveryId: "cb8c3971-9adc-488b-bdd8-43cbb4974ff5",
        },
      ],
      ignored: [],
    });
  });

  it("ignores deletes, chart pushes and non-manifest pushes", () => {
    const reasons = [
      { action: "delete" },
      { action: "chart_push" },
      { "target.mediaType": "application/octet-stream" },
    ].map((patch) => {
      const body = patchedFixture("acr-push.json", patch);
      return acrSource.parse(webhookDelivery({ body }), settings).ignored[0]?.reason;
    });
    expect(reasons).toEqual([
      "delete event",
      "chart_push event",
      "push of application/octet-stream (not a manifest)",
    ]);
  });

  it("ignores a ping (the portal's Ping button) whatever its target", () => {
    for (const target of [undefined, null, {}, { mediaType: 42 }]) {
      const body = patchedFixture("acr-push.json", { action: "ping", target });
      expect(acrSource.parse(webhookDelivery({ body }), settings), JSON.stringify(target)).toEqual({
        events: [],
        ignored: [{ reason: "ping event", eventId: "cb8c3971-9adc-488b-bdd8-43cbb4974ff5" }],
      });
    }
  });

  it("still refuses a push whose target is not an image target", () => {
    const body = patchedFixture("acr-push.json", { target: null });
    expect(() => acrSource.parse(webhookDelivery({ body }), settings)).toThrow("target: Invalid input");
  });

  it.each<[string, JsonPatch, string]>([
    ["a host with user info", { "request.host": "user@evil.example" }, "request.host: not a registry host"],
    ["a missing host", { request: undefined }, "request: Invalid input"],
    ["a digest of the wrong type", { "target.digest": null }, "target.digest"],
  ])("rejects %s", (_name, patch, message) => {
    const body = patchedFixture("acr-push.json", patch);
    expect(() => acrSource.parse(webhookDelivery({ body }), settings)).toThrow(WebhookPayloadError);
    expect(() => acrSource.parse(webhookDelivery({ body }), settings)).toThrow(message);
  });

  it("authenticates with the custom header", async () => {
    const good = fixtureDelivery("acr-push.json", { headers: { "x-webhook-secret": "acr-custom-secret" } });
    await expect(acrSource.authenticate(good, settings)).resolves.toBeUndefined();
    const wrong = fixtureDelivery("acr-push.json", { headers: { authorization: "acr-custom-secret" } });
    const error = await acrSource.authenticate(wrong, settings).catch((e) => e);
    expect(error).toBeInstanceOf(WebhookAuthError);
    expect(error.message).toBe("missing X-Webhook-Secret header");
  });
});
