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
