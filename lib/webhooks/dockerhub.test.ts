import { describe, expect, it } from "vitest";
import {
  fixtureDelivery,
  type JsonPatch,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { dockerhubSettings, dockerhubSource } from "./dockerhub.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";

const TOKEN = "dockerhub-url-token-0123456789";
const settings = dockerhubSettings.parse({ kind: "dockerhub", token: TOKEN });

describe("dockerhub", () => {
  it("parses the documented payload: a tag on docker.io, no digest", () => {
    expect(dockerhubSource.parse(fixtureDelivery("dockerhub-push.json"), settings)).toEqual({
      events: [{ registry: "docker.io", repository: "svendowideit/testhook", tag: "latest" }],
      ignored: [],
    });
  });

  it("puts a one-component name under library/", () => {
    const body = patchedFixture("dockerhub-push.json", { "repository.repo_name": "nginx" });
    expect(dockerhubSource.parse(webhookDelivery({ body }), settings).events[0]?.repository).toBe(
      "library/nginx",
    );
  });

  it.each<[string, JsonPatch, string]>([
    ["no tag", { "push_data.tag": undefined }, "push_data.tag"],
    ["a tag with spaces", { "push_data.tag": "a b" }, "push_data.tag: not a tag"],
    ["path traversal", { "repository.repo_name": "svendowideit/../../x" }, "repository.repo_name"],
  ])("rejects %s", (_name, patch, message) => {
    const body = patchedFixture("dockerhub-push.json", patch);
    expect(() => dockerhubSource.parse(webhookDelivery({ body }), settings)).toThrow(WebhookPayloadError);
    expect(() => dockerhubSource.parse(webhookDelivery({ body }), settings)).toThrow(message);
  });

  it("authenticates with the token in the URL query only", async () => {
    const at = (query: string) =>
      fixtureDelivery("dockerhub-push.json", { url: `http://127.0.0.1/webhooks/hub${query}` });
    await expect(dockerhubSource.authenticate(at(`?token=${TOKEN}`), settings)).resolves.toBeUndefined();
    for (const query of [
      "",
      "?token=",
      `?token=${TOKEN}x`,
      `?tok=${TOKEN}`,
      `?token=${TOKEN}&token=${TOKEN}`,
    ]) {
      const error = await dockerhubSource.authenticate(at(query), settings).catch((e) => e);
      expect(error, query).toBeInstanceOf(WebhookAuthError);
      expect(error.message).not.toContain(TOKEN);
    }
  });

  it("refuses a short token in the settings", () => {
    expect(dockerhubSettings.safeParse({ kind: "dockerhub", token: "short" }).success).toBe(false);
  });
});
