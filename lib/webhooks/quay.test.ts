import { describe, expect, it } from "vitest";
import {
  fixtureDelivery,
  type JsonPatch,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";
import { quaySettings, quaySource } from "./quay.ts";

const TOKEN = "quay-url-token-abcdefghijklmnop";
const settings = quaySettings.parse({ kind: "quay", token: TOKEN, tokenParameter: "secret" });

describe("quay", () => {
  it("parses the documented repo_push: host and repository from docker_url, one event per tag", () => {
    expect(quaySource.parse(fixtureDelivery("quay-repo-push.json"), settings)).toEqual({
      events: [{ registry: "quay.io", repository: "dgangaia/test", tag: "latest" }],
      ignored: [],
    });
    const body = patchedFixture("quay-repo-push.json", { updated_tags: ["latest", "v2", "latest"] });
    const events = quaySource.parse(webhookDelivery({ body }), settings).events;
    expect(events.map((event) => event.tag)).toEqual(["latest", "v2"]);
  });

  it("parses the older form of updated_tags, an object of tag to image id: the tags, never the ids", () => {
    expect(quaySource.parse(fixtureDelivery("quay-repo-push-legacy.json"), settings)).toEqual({
      events: [{ registry: "quay.io", repository: "devtable/ubuntu", tag: "latest" }],
      ignored: [],
    });
    const body = patchedFixture("quay-repo-push-legacy.json", {
      updated_tags: { latest: "b750fe79", "v1.0": "c3d4e5f6" },
    });
    const events = quaySource.parse(webhookDelivery({ body }), settings).events;
    expect(events.map((event) => [event.tag, event.digest])).toEqual([
      ["latest", undefined],
      ["v1.0", undefined],
    ]);
  });

  it.each([
    ["build_success", "quay-build-success.json", "build notification (not a push)"],
    ["vulnerability_found", "quay-vulnerability-found.json", "vulnerability_found notification (not a push)"],
  ])("ignores the documented %s notification", (_event, fixture, reason) => {
    expect(quaySource.parse(fixtureDelivery(fixture), settings)).toEqual({
      events: [],
      ignored: [{ reason }],
    });
  });

  it("ignores other events (image expiry, mirror syncs) and their test notifications: no updated_tags", () => {
    // notificationevent.py: each event's fields over build_repository_event_data; test samples alike.
    const base = patchedFixture("quay-repo-push.json", { updated_tags: undefined });
    for (const extra of [
      { tags: ["latest"], expiring_in: "5 days" },
      { message: "TEST NOTIFICATION" },
      { build_id: "fake-build-id", docker_tags: ["latest", "foo", "bar"], build_name: "some-fake-build" },
      { tags: ["latest", "prod"], image: "some-image-id", vulnerability: { id: "CVE-FAKE-CVE" } },
    ]) {
      const parsed = quaySource.parse(webhookDelivery({ body: { ...base, ...extra } }), settings);
      expect(parsed.events, JSON.stringify(extra)).toEqual([]);
      expect(parsed.ignored[0]?.reason).toMatch(/not a push/);
    }
  });

  it("ignores the Repository Push test notification (Quay's fixed sample), not a real push", () => {
    const sample = patchedFixture("quay-repo-push.json", {
      updated_tags: ["latest", "foo"],
      pruned_image_count: 3,
    });
    expect(quaySource.parse(webhookDelivery({ body: sample }), settings)).toEqual({
      events: [],
      ignored: [{ reason: "test notification" }],
    });
    const real = patchedFixture("quay-repo-push.json", { updated_tags: ["latest", "foo"] });
    expect(quaySource.parse(webhookDelivery({ body: real }), settings).events).toHaveLength(2);
  });

  it("ignores a push without tags", () => {
    const body = patchedFixture("quay-repo-push.json", { updated_tags: [] });
    expect(quaySource.parse(webhookDelivery({ body }), settings)).toEqual({
      events: [],
      ignored: [{ reason: "push without updated tags" }],
    });
  });

  it.each<[string, JsonPatch, string]>([
    [
      "a docker_url for another repository",
      { docker_url: "quay.io/dgangaia/other" },
      "names repository 'dgangaia/other'",
    ],
    ["a docker_url with a tag", { docker_url: "quay.io/dgangaia/test:latest" }, "must name a repository"],
    [
      "a docker_url without a host",
      { docker_url: "dgangaia/test" },
      "docker_url: reference has no registry host",
    ],
    ["an invalid tag", { updated_tags: ["ok", "-bad"] }, "updated_tags.1: not a tag"],
    ["too many tags", { updated_tags: new Array(1001).fill("x") }, "updated_tags: Too big"],
    [
      "an invalid tag in the object form",
      { updated_tags: { ok: "a", "-bad": "b" } },
      "updated_tags.1: not a tag",
    ],
    [
      "updated_tags that are neither list nor object",
      { updated_tags: "latest" },
      "updated_tags: Invalid input",
    ],
  ])("rejects %s", (_name, patch, message) => {
    const body = patchedFixture("quay-repo-push.json", patch);
    expect(() => quaySource.parse(webhookDelivery({ body }), settings)).toThrow(WebhookPayloadError);
    expect(() => quaySource.parse(webhookDelivery({ body }), settings)).toThrow(message);
  });

  it("authenticates with the configured query parameter", async () => {
    const at = (query: string) =>
      fixtureDelivery("quay-repo-push.json", { url: `http://127.0.0.1/webhooks/q${query}` });
    await expect(quaySource.authenticate(at(`?secret=${TOKEN}`), settings)).resolves.toBeUndefined();
    for (const query of ["", `?token=${TOKEN}`, "?secret=quay-url-token-abcdefghijklmnoq"]) {
      const error = await quaySource.authenticate(at(query), settings).catch((e) => e);
      expect(error, query).toBeInstanceOf(WebhookAuthError);
      expect(error.message).not.toContain(TOKEN);
    }
  });
});
