import { describe, expect, it } from "vitest";
import {
  fixtureDelivery,
  fixtureJson,
  type JsonPatch,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";
import { harborSettings, harborSource } from "./harbor.ts";

const settings = harborSettings.parse({ kind: "harbor", auth: { value: "harbor-auth-header-value" } });
const CLOUDEVENTS = { "content-type": "application/cloudevents+json" };
const RESOURCE = {
  digest: `sha256:${"c".repeat(64)}`,
  tag: "stable",
  resource_url: "hub.harbor.com/test-webhook/debian:stable",
};

describe("harbor parse", () => {
  it("parses the default format", () => {
    const parsed = harborSource.parse(fixtureDelivery("harbor-default-push.json"), settings);
    expect(parsed).toEqual({
      events: [
        {
          registry: "hub.harbor.com",
          repository: "test-webhook/debian",
          tag: "latest",
          digest: "sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8",
        },
      ],
      ignored: [],
    });
  });

  it("parses the CloudEvents format; a tag equal to the digest is no tag", () => {
    const delivery = fixtureDelivery("harbor-cloudevents-push-by-digest.json", { headers: CLOUDEVENTS });
    expect(harborSource.parse(delivery, settings)).toEqual({
      events: [
        {
          registry: "harbor.dev",
          repository: "library/busybox",
          digest: "sha256:dde8e930c7b6a490f728e66292bc9bce42efc9bbb5278bae40e4f30f6e00fe8c",
          deliveryId: "4b2f89a6-548d-4c12-9993-a25e2ae7e9c8",
        },
      ],
      ignored: [],
    });
  });

  it("accepts the CloudEvents format in binary mode too", () => {
    const structured = fixtureJson("harbor-cloudevents-push-by-digest.json") as Record<string, unknown>;
    const delivery = webhookDelivery({
      body: structured.data as object,
      headers: {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "binary-1",
        "ce-source": "/projects/1/webhook/policies/3",
        "ce-type": "harbor.artifact.pushed",
      },
    });
    const [event] = harborSource.parse(delivery, settings).events;
    expect(event).toMatchObject({
      registry: "harbor.dev",
      repository: "library/busybox",
      deliveryId: "binary-1",
    });
  });

  it("parses Harbor 1.x pushImage (1.9, 1.10), the same event_data under the old type name", () => {
    const parsed = harborSource.parse(fixtureDelivery("harbor-1.10-push-image.json"), settings);
    expect(parsed).toEqual({
      events: [
        {
          registry: "harbor.example.com",
          repository: "test-webhooks-event/busybox",
          tag: "v1.0",
          digest: "sha256:b4758aaed11c155a476b9857e1178f157759c99cb04c907a04993f5481eff848",
        },
      ],
      ignored: [],
    });
  });

  it.each([
    ["pullImage"],
    ["deleteImage"],
    ["uploadChart"],
    ["scanningCompleted"],
    ["projectQuota"],
    ["testEndpoint"],
  ])("ignores Harbor 1.x %s", (type) => {
    const body = patchedFixture("harbor-1.10-push-image.json", { type });
    expect(harborSource.parse(webhookDelivery({ body }), settings)).toEqual({
      events: [],
      ignored: [{ reason: `${type} event` }],
    });
  });

  it("ignores an event without event_data; a push without it is refused", () => {
    const quota = { type: "QUOTA_EXCEED", occur_at: 1, operator: "admin" };
    expect(harborSource.parse(webhookDelivery({ body: quota }), settings).ignored).toEqual([
      { reason: "QUOTA_EXCEED event" },
    ]);
    const push = webhookDelivery({ body: { ...quota, type: "pushImage" } });
    expect(() => harborSource.parse(push, settings)).toThrow("event_data: Invalid input");
  });

  it("ignores other event types in both formats", () => {
    const pull = fixtureJson("harbor-default-push.json") as Record<string, unknown>;
    pull.type = "PULL_ARTIFACT";
    expect(harborSource.parse(webhookDelivery({ body: pull }), settings)).toEqual({
      events: [],
      ignored: [{ reason: "PULL_ARTIFACT event" }],
    });
    const deleted = fixtureJson("harbor-cloudevents-push-by-digest.json") as Record<string, unknown>;
    deleted.type = "harbor.artifact.deleted";
    const parsed = harborSource.parse(webhookDelivery({ body: deleted, headers: CLOUDEVENTS }), settings);
    expect(parsed.ignored).toEqual([
      { reason: "harbor.artifact.deleted event", eventId: "4b2f89a6-548d-4c12-9993-a25e2ae7e9c8" },
    ]);
  });

  it("emits one event per resource", () => {
    const body = patchedFixture("harbor-default-push.json", { "event_data.resources.1": RESOURCE });
    const events = harborSource.parse(webhookDelivery({ body }), settings).events;
    expect(events.map((event) => event.tag)).toEqual(["latest", "stable"]);
  });

  it.each<[string, JsonPatch, string]>([
    [
      "a resource_url for another repository",
      { "event_data.resources.0.resource_url": "hub.harbor.com/other/debian:latest" },
      "names repository 'other/debian', not 'test-webhook/debian'",
    ],
    [
      "a resource_url without a host",
      { "event_data.resources.0.resource_url": "test-webhook/debian:latest" },
      "reference has no registry host",
    ],
    [
      "path traversal in resource_url",
      { "event_data.resources.0.resource_url": "hub.harbor.com/../debian:latest" },
      "event_data.resources.0.resource_url",
    ],
    [
      "a non-sha256 digest",
      { "event_data.resources.0.digest": `sha384:${"a".repeat(96)}` },
      "only sha256 digests",
    ],
    ["a tag of the wrong type", { "event_data.resources.0.tag": ["latest"] }, "event_data.resources.0.tag"],
    ["a missing event_data", { event_data: undefined }, "event_data: Invalid input"],
    [
      "too many resources",
      { "event_data.resources": new Array(1001).fill(RESOURCE) },
      "event_data.resources: Too big",
    ],
  ])("rejects %s", (_name, patch, message) => {
    const delivery = webhookDelivery({ body: patchedFixture("harbor-default-push.json", patch) });
    expect(() => harborSource.parse(delivery, settings)).toThrow(WebhookPayloadError);
    expect(() => harborSource.parse(delivery, settings)).toThrow(message);
  });

  it("reports a resource_url on another host as sent", () => {
    const body = patchedFixture("harbor-default-push.json", {
      "event_data.resources.0.resource_url": "169.254.169.254:80/test-webhook/debian:latest",
    });
    const [event] = harborSource.parse(webhookDelivery({ body }), settings).events;
    expect(event?.registry).toBe("169.254.169.254:80");
  });

  it("rejects a CloudEvent that is not 1.0 or carries base64 data", () => {
    const body = fixtureJson("harbor-cloudevents-push-by-digest.json") as Record<string, unknown>;
    const delivery = webhookDelivery({ body: { ...body, specversion: "0.3" }, headers: CLOUDEVENTS });
    expect(() => harborSource.parse(delivery, settings)).toThrow("specversion");
    const base64 = webhookDelivery({
      body: { ...body, data: undefined, data_base64: "e30=" },
      headers: CLOUDEVENTS,
    });
    expect(() => harborSource.parse(base64, settings)).toThrow("data_base64 is not supported");
  });
});

describe("harbor authenticate", () => {
  it("accepts the Auth Header verbatim and refuses anything else", async () => {
    const body = fixtureJson("harbor-default-push.json") as object;
    const good = webhookDelivery({ body, headers: { authorization: "harbor-auth-header-value" } });
    await expect(harborSource.authenticate(good, settings)).resolves.toBeUndefined();
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer harbor-auth-header-value" },
      { authorization: "x" },
    ];
    for (const headers of attempts) {
      const error = await harborSource
        .authenticate(webhookDelivery({ body, headers }), settings)
        .catch((e) => e);
      expect(error).toBeInstanceOf(WebhookAuthError);
      expect(error.message).not.toContain("harbor-auth-header-value");
    }
  });
});
