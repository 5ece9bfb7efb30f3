import { describe, expect, it } from "vitest";
import {
  fixtureDelivery,
  fixtureJson,
  type JsonPatch,
  patchedFixture,
  patchJson,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { type DistributionSettings, distributionSettings, distributionSource } from "./distribution.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";

const settings: DistributionSettings = distributionSettings.parse({
  kind: "distribution",
  auth: { value: "Bearer distribution-secret-0001" },
});

const V1 = { "content-type": "application/vnd.docker.distribution.events.v1+json" };
const COSIGN_PUSH = "distribution-2.8-cosign-signature-push.json";

/** A manifest push built from the captured cosign push: same registry, an ordinary tag; `patch` is per event. */
function manifestPush(patch: JsonPatch = {}): object {
  const perEvent = Object.entries(patch).map(([path, value]) => [`events.0.${path}`, value]);
  return patchedFixture(COSIGN_PUSH, { "events.0.target.tag": "v1", ...Object.fromEntries(perEvent) });
}

function parseOne(body: object) {
  const [event] = distributionSource.parse(webhookDelivery({ body, headers: V1 }), settings).events;
  return event;
}

describe("distribution parse", () => {
  it("parses the captured cosign .sig tag push faithfully; the policy refuses it downstream", () => {
    const parsed = distributionSource.parse(fixtureDelivery(COSIGN_PUSH), settings);
    expect(parsed.ignored).toEqual([]);
    expect(parsed.events).toEqual([
      {
        registry: "127.0.0.1:5001",
        repository: "test/app",
        tag: "sha256-8674fffc6af5b2968f0a4e998a05fc2918fb8080ed6727ae06b9e26ece562dab.sig",
        digest: "sha256:a90f505e651ded0128817be2ed8eaae1c168a8ce6662549960b9a53010038fc7",
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        userAgent: "node",
        deliveryId: "742d2b3a-c4d5-4388-99a6-c3b89278d418",
      },
    ]);
  });

  it("ignores blob pushes", () => {
    const parsed = distributionSource.parse(fixtureDelivery("distribution-2.8-blob-push.json"), settings);
    expect(parsed.events).toEqual([]);
    expect(parsed.ignored).toEqual([
      {
        reason: "push of application/octet-stream (not a manifest)",
        eventId: "9d993b7c-a06f-4af1-af26-021effb7a90e",
      },
    ]);
  });

  it("ignores pulls, including the fixture named manifest-push-by-tag (its only event is a GET pull)", () => {
    for (const name of ["distribution-2.8-blob-pull.json", "distribution-2.8-manifest-push-by-tag.json"]) {
      const parsed = distributionSource.parse(fixtureDelivery(name), settings);
      expect(parsed.events).toEqual([]);
      expect(parsed.ignored.map((ignored) => ignored.reason)).toEqual(["pull event"]);
    }
  });

  it("parses a batch, keeping only manifest pushes (v2 envelope, 3.x media types)", () => {
    const [push] = (fixtureJson(COSIGN_PUSH) as { events: object[] }).events;
    const events = [
      patchJson(push, { "target.tag": "v1" }),
      patchJson(push, {
        id: "index-push",
        "target.mediaType": "application/vnd.oci.image.index.v1+json",
        "target.digest": `sha256:${"b".repeat(64)}`,
        "target.tag": undefined,
      }),
      patchJson(push, { id: "mount", action: "mount" }),
      // Only digest and repository on deletes; not validated, since it is ignored.
      { id: "delete", action: "delete", target: { digest: "sha512:abc", repository: "Not/Valid" } },
      patchJson(push, {
        id: "layer",
        "target.mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
      }),
    ];
    const parsed = distributionSource.parse(
      webhookDelivery({
        body: { events },
        headers: { "content-type": "application/vnd.docker.distribution.events.v2+json" },
      }),
      settings,
    );
    expect(
      parsed.events.map((event) => [event.deliveryId, event.tag, event.digest, event.mediaType]),
    ).toEqual([
      [
        "742d2b3a-c4d5-4388-99a6-c3b89278d418",
        "v1",
        "sha256:a90f505e651ded0128817be2ed8eaae1c168a8ce6662549960b9a53010038fc7",
        "application/vnd.oci.image.manifest.v1+json",
      ],
      ["index-push", undefined, `sha256:${"b".repeat(64)}`, "application/vnd.oci.image.index.v1+json"],
    ]);
    expect(parsed.ignored.map((ignored) => ignored.eventId)).toEqual(["mount", "delete", "layer"]);
  });

  it("reports the host of target.url as sent, even when it is not the registry that posted", () => {
    const event = parseOne(
      manifestPush({ "target.url": "https://Evil.Example:8443/v2/test/app/manifests/x" }),
    );
    expect(event?.registry).toBe("evil.example:8443");
  });

  it("drops the default port the way clients address the registry", () => {
    const event = parseOne(
      manifestPush({ "target.url": "https://registry.example:443/v2/test/app/manifests/x" }),
    );
    expect(event?.registry).toBe("registry.example");
  });

  it("falls back to request.host when target.url is absent", () => {
    const event = parseOne(
      manifestPush({ "target.url": undefined, "request.host": "registry.internal:5000" }),
    );
    expect(event?.registry).toBe("registry.internal:5000");
  });

  it.each<[string, JsonPatch, string]>([
    [
      "path traversal in the repository",
      { "target.repository": "../../etc/passwd" },
      "events.0.target.repository",
    ],
    ["an uppercase repository", { "target.repository": "Test/App" }, "events.0.target.repository"],
    ["a sha512 digest", { "target.digest": `sha512:${"a".repeat(128)}` }, "only sha256 digests"],
    ["a short digest", { "target.digest": "sha256:abc" }, "events.0.target.digest"],
    ["a digest of the wrong type", { "target.digest": 42 }, "events.0.target.digest"],
    ["a tag with a slash", { "target.tag": "v1/../x" }, "events.0.target.tag"],
    ["a target.url without a scheme", { "target.url": "evil/v2/x" }, "events.0.target.url"],
    ["a javascript: target.url", { "target.url": "javascript:alert(1)" }, "events.0.target.url"],
    [
      "a request.host with a path",
      { "target.url": undefined, "request.host": "evil.example/x" },
      "events.0.request.host",
    ],
    [
      "no host at all",
      { "target.url": undefined, request: undefined },
      "neither target.url nor request.host",
    ],
  ])("rejects %s with a message naming the field", (_name, patch, expected) => {
    const delivery = webhookDelivery({ body: manifestPush(patch), headers: V1 });
    expect(() => distributionSource.parse(delivery, settings)).toThrow(WebhookPayloadError);
    expect(() => distributionSource.parse(delivery, settings)).toThrow(expected);
  });

  it("rejects malformed JSON, invalid UTF-8, a body that is not an envelope, and too many events", () => {
    const cases: [Uint8Array | string | object, string][] = [
      ['{"events": [', "body is not valid JSON"],
      [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "body is not valid UTF-8"],
      [[1, 2, 3], "expected object"],
      [{ events: "push" }, "events: Invalid input: expected array"],
      [{ events: Array.from({ length: 1001 }, () => ({ action: "pull" })) }, "events: Too big"],
      ["[".repeat(500_000), "body is not valid JSON"],
      [`${"[".repeat(400_000)}${"]".repeat(400_000)}`, "expected object"],
    ];
    for (const [body, message] of cases) {
      const delivery = webhookDelivery({ body, headers: V1 });
      expect(() => distributionSource.parse(delivery, settings), message).toThrow(WebhookPayloadError);
      expect(() => distributionSource.parse(delivery, settings), message).toThrow(message);
    }
  });

  it("rejects a body larger than the limit even if the app forgot to", () => {
    const delivery = webhookDelivery({ body: new Uint8Array(1024 * 1024 + 1), headers: V1 });
    expect(() => distributionSource.parse(delivery, settings)).toThrow("body exceeds 1048576 bytes");
  });
});

describe("distribution authenticate", () => {
  const body = manifestPush();

  it("accepts the exact configured Authorization header", async () => {
    const delivery = webhookDelivery({
      body,
      headers: { ...V1, authorization: "Bearer distribution-secret-0001" },
    });
    await expect(distributionSource.authenticate(delivery, settings)).resolves.toBeUndefined();
  });

  it.each<[string, Record<string, string>]>([
    ["missing", {}],
    ["wrong", { authorization: "Bearer distribution-secret-0002" }],
    ["a prefix of the secret", { authorization: "Bearer distribution-secret-000" }],
    ["the secret with a suffix", { authorization: "Bearer distribution-secret-00011" }],
    ["the secret in another case", { authorization: "bearer distribution-secret-0001" }],
  ])("refuses a %s header", async (_name, headers) => {
    const delivery = webhookDelivery({ body, headers: { ...V1, ...headers } });
    const error = await distributionSource.authenticate(delivery, settings).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookAuthError);
    expect((error as Error).message).not.toContain("distribution-secret");
  });

  it("checks any configured header name", async () => {
    const custom = distributionSettings.parse({
      kind: "distribution",
      auth: { header: "X-Countersign-Token", value: "custom-secret-1" },
    });
    const good = webhookDelivery({ body, headers: { "x-countersign-token": "custom-secret-1" } });
    const wrongHeader = webhookDelivery({ body, headers: { authorization: "custom-secret-1" } });
    await expect(distributionSource.authenticate(good, custom)).resolves.toBeUndefined();
    await expect(distributionSource.authenticate(wrongHeader, custom)).rejects.toThrow(
      "missing X-Countersign-Token header",
    );
  });
});
