import { describe, expect, it } from "vitest";
import {
  fixtureBytes,
  fixtureDelivery,
  type JsonPatch,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { artifactorySettings, artifactorySource } from "./artifactory.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";
import { hmacSha256Hex } from "./hmac.ts";

const SECRET = "jfrog-event-secret-7";
const settings = artifactorySettings.parse({
  kind: "artifactory",
  secret: SECRET,
  registry: "Example.JFrog.io",
});

describe("artifactory parse", () => {
  it("parses docker pushed: configured host, repository key prefix, digest from data.sha256", () => {
    expect(artifactorySource.parse(fixtureDelivery("artifactory-docker-pushed.json"), settings)).toEqual({
      events: [
        {
          registry: "example.jfrog.io",
          repository: "docker-local/library/ubuntu",
          tag: "latest",
          digest: "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce",
        },
      ],
      ignored: [],
    });
  });

  it("addresses images without the repository key when configured so", () => {
    const subdomain = artifactorySettings.parse({
      kind: "artifactory",
      secret: SECRET,
      registry: "docker-local.example.jfrog.io",
      repositoryPath: "image-name",
    });
    const [event] = artifactorySource.parse(
      fixtureDelivery("artifactory-docker-pushed.json"),
      subdomain,
    ).events;
    expect(event).toMatchObject({ registry: "docker-local.example.jfrog.io", repository: "library/ubuntu" });
  });

  it("treats a sha256__ folder as no tag, and ignores other domains and events", () => {
    const byDigest = patchedFixture("artifactory-docker-pushed.json", {
      "data.tag": "sha256__35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce",
    });
    expect(
      artifactorySource.parse(webhookDelivery({ body: byDigest }), settings).events[0]?.tag,
    ).toBeUndefined();
    const deleted = patchedFixture("artifactory-docker-pushed.json", { event_type: "deleted" });
    expect(artifactorySource.parse(webhookDelivery({ body: deleted }), settings)).toEqual({
      events: [],
      ignored: [{ reason: "docker deleted event" }],
    });
  });

  it.each<[string, JsonPatch, string]>([
    [
      "an uppercase checksum",
      { "data.sha256": "35C4A2C15539C6C1E4E5FA4E554DAC323AD0107D8EB5C582D6FF386B383B7DCE" },
      "data.sha256",
    ],
    ["a sha1 checksum", { "data.sha256": "a".repeat(40) }, "data.sha256"],
    ["a repo_key with a slash", { "data.repo_key": "../x" }, "data.repo_key"],
    ["an image_name with traversal", { "data.image_name": "library/../../ubuntu" }, "data.image_name"],
  ])("rejects %s", (_name, patch, message) => {
    const body = patchedFixture("artifactory-docker-pushed.json", patch);
    expect(() => artifactorySource.parse(webhookDelivery({ body }), settings)).toThrow(WebhookPayloadError);
    expect(() => artifactorySource.parse(webhookDelivery({ body }), settings)).toThrow(message);
  });
});

describe("artifactory authenticate", () => {
  const withAuth = (value?: string) =>
    fixtureDelivery("artifactory-docker-pushed.json", {
      headers: value === undefined ? {} : { "x-jfrog-event-auth": value },
    });

  it("plain mode: the header is the secret", async () => {
    await expect(artifactorySource.authenticate(withAuth(SECRET), settings)).resolves.toBeUndefined();
    for (const value of [undefined, `${SECRET}x`, SECRET.toUpperCase()]) {
      const error = await artifactorySource.authenticate(withAuth(value), settings).catch((e) => e);
      expect(error).toBeInstanceOf(WebhookAuthError);
      expect(error.message).not.toContain(SECRET);
    }
  });

  it("HMAC mode: the header is the hex HMAC-SHA256 of the body, and the bare secret is refused", async () => {
    const hmac = artifactorySettings.parse({ ...settings, secretMode: "hmac-sha256" });
    const signature = await hmacSha256Hex(SECRET, fixtureBytes("artifactory-docker-pushed.json"));
    await expect(artifactorySource.authenticate(withAuth(signature), hmac)).resolves.toBeUndefined();
    await expect(
      artifactorySource.authenticate(withAuth(signature.toUpperCase()), hmac),
    ).resolves.toBeUndefined();
    for (const value of [SECRET, signature.slice(1), undefined]) {
      await expect(artifactorySource.authenticate(withAuth(value), hmac)).rejects.toBeInstanceOf(
        WebhookAuthError,
      );
    }
  });
});
