import { describe, expect, it } from "vitest";
import {
  fixtureBytes,
  fixtureJson,
  type JsonPatch,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";
import { zotSettings, zotSource } from "./zot.ts";

const settings = zotSettings.parse({
  kind: "zot",
  auth: { basic: { username: "countersign", password: "zot-sink-password" } },
  registry: "zot.example:5000",
});

const BINARY_HEADERS = {
  "content-type": "application/json",
  "ce-specversion": "1.0",
  "ce-id": "0f4c2f6e-5f9b-4a1a-9a57-0c1f3a8f7b11",
  "ce-source": "zotregistry.dev",
  "ce-type": "zotregistry.image.updated",
};

const EXPECTED = {
  registry: "zot.example:5000",
  repository: "library/alpine",
  tag: "3.20",
  digest: "sha256:0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  deliveryId: "0f4c2f6e-5f9b-4a1a-9a57-0c1f3a8f7b11",
};

describe("zot parse", () => {
  it("parses binary mode (the sdk-go default): attributes in ce-* headers, the fixture as data", () => {
    const delivery = webhookDelivery({
      body: fixtureBytes("zot-image-updated-data.json"),
      headers: BINARY_HEADERS,
    });
    expect(zotSource.parse(delivery, settings)).toEqual({ events: [EXPECTED], ignored: [] });
  });

  it("parses structured mode", () => {
    const body = {
      specversion: "1.0",
      id: EXPECTED.deliveryId,
      source: "zotregistry.dev",
      type: "zotregistry.image.updated",
      datacontenttype: "application/json",
      data: fixtureJson("zot-image-updated-data.json"),
    };
    const delivery = webhookDelivery({ body, headers: { "content-type": "application/cloudevents+json" } });
    expect(zotSource.parse(delivery, settings)).toEqual({ events: [EXPECTED], ignored: [] });
  });

  it("treats a digest reference as no tag, and ignores other event types", () => {
    const data = patchedFixture("zot-image-updated-data.json", { reference: EXPECTED.digest });
    const byDigest = zotSource.parse(webhookDelivery({ body: data, headers: BINARY_HEADERS }), settings);
    expect(byDigest.events[0]?.tag).toBeUndefined();
    const deleted = webhookDelivery({
      body: fixtureBytes("zot-image-updated-data.json"),
      headers: { ...BINARY_HEADERS, "ce-type": "zotregistry.image.deleted" },
    });
    expect(zotSource.parse(deleted, settings).ignored).toEqual([
      { reason: "zotregistry.image.deleted event", eventId: EXPECTED.deliveryId },
    ]);
  });

  it.each([
    // pkg/extensions/events/events.go: the data each recorder method sends.
    ["zotregistry.repository.created", { name: "library/alpine" }],
    [
      "zotregistry.image.deleted",
      { name: "library/alpine", reference: "3.20", digest: EXPECTED.digest, mediaType: EXPECTED.mediaType },
    ],
    ["zotregistry.image.lint_failed", fixtureJson("zot-image-updated-data.json") as object],
  ])("ignores %s, with its id", (type, data) => {
    const delivery = webhookDelivery({ body: data, headers: { ...BINARY_HEADERS, "ce-type": type } });
    expect(zotSource.parse(delivery, settings)).toEqual({
      events: [],
      ignored: [{ reason: `${type} event`, eventId: EXPECTED.deliveryId }],
    });
  });

  it("accepts image.updated under a configured typePrefix (extensions.events.typePrefix, zot 2.1.21)", () => {
    const delivery = webhookDelivery({
      body: fixtureBytes("zot-image-updated-data.json"),
      headers: { ...BINARY_HEADERS, "ce-type": "com.example.registry.image.updated" },
    });
    expect(zotSource.parse(delivery, settings)).toEqual({ events: [EXPECTED], ignored: [] });
  });

  it("reads data carrying actor and request (zot 2.1.18 and later)", () => {
    const data = patchedFixture("zot-image-updated-data.json", {
      actor: { name: "john" },
      request: { addr: "192.168.0.1:54321", method: "PUT", useragent: "docker/24.0.5" },
    });
    const delivery = webhookDelivery({ body: data, headers: BINARY_HEADERS });
    expect(zotSource.parse(delivery, settings).events).toEqual([{ ...EXPECTED, userAgent: "docker/24.0.5" }]);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ["a plain JSON body (not a CloudEvent)", { "ce-specversion": undefined }, "not a CloudEvent"],
    ["a binary event without an id", { "ce-id": "" }, "ce-id"],
    ["a binary event in another spec version", { "ce-specversion": "0.3" }, "ce-specversion"],
    ["XML data", { "content-type": "application/xml" }, "CloudEvent data must be JSON"],
  ])("rejects %s", (_name, overrides, message) => {
    const headers = Object.entries({ ...BINARY_HEADERS, ...overrides }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    );
    const delivery = webhookDelivery({ body: fixtureBytes("zot-image-updated-data.json"), headers });
    expect(() => zotSource.parse(delivery, settings)).toThrow(WebhookPayloadError);
    expect(() => zotSource.parse(delivery, settings)).toThrow(message);
  });

  it.each<[string, JsonPatch, string]>([
    ["a repository with traversal", { name: "../alpine" }, "data.name"],
    ["a reference that is neither tag nor digest", { reference: "a/b" }, "data.reference"],
    ["a sha512 digest", { digest: `sha512:${"0".repeat(128)}` }, "only sha256"],
  ])("rejects data with %s", (_name, patch, message) => {
    const data = patchedFixture("zot-image-updated-data.json", patch);
    const delivery = webhookDelivery({ body: data, headers: BINARY_HEADERS });
    expect(() => zotSource.parse(delivery, settings)).toThrow(message);
  });
});

describe("zot authenticate", () => {
  it("checks the sink's Basic credentials", async () => {
    const basic = `Basic ${btoa("countersign:zot-sink-password")}`;
    const at = (authorization?: string) =>
      webhookDelivery({
        body: fixtureBytes("zot-image-updated-data.json"),
        headers: authorization === undefined ? BINARY_HEADERS : { ...BINARY_HEADERS, authorization },
      });
    await expect(zotSource.authenticate(at(basic), settings)).resolves.toBeUndefined();
    for (const value of [
      undefined,
      `Basic ${btoa("countersign:zot-sink-passwor")}`,
      "Bearer zot-sink-password",
    ]) {
      const error = await zotSource.authenticate(at(value), settings).catch((e) => e);
      expect(error).toBeInstanceOf(WebhookAuthError);
      expect(error.message).not.toContain("zot-sink-password");
    }
  });
});
