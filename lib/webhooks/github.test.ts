import { describe, expect, it } from "vitest";
import {
  fixtureBytes,
  fixtureJson,
  type JsonPatch,
  patchedFixture,
  patchJson,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";
import { githubSettings, githubSource } from "./github.ts";
import { hmacSha256Hex } from "./hmac.ts";

const SECRET = "github-webhook-secret-42";
const settings = githubSettings.parse({ kind: "github", secret: SECRET });

function packageDelivery(body: Uint8Array | object, event = "package") {
  return webhookDelivery({
    body,
    headers: { "x-github-event": event, "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
  });
}

describe("github HMAC", () => {
  it("matches GitHub's own test vector", async () => {
    const vector = githubSettings.parse({ kind: "github", secret: "It's a Secret to Everybody" });
    const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(
      `sha256=${await hmacSha256Hex("It's a Secret to Everybody", new TextEncoder().encode("Hello, World!"))}`,
    ).toBe(signature);
    const delivery = webhookDelivery({
      body: "Hello, World!",
      headers: { "x-hub-signature-256": signature },
    });
    await expect(githubSource.authenticate(delivery, vector)).resolves.toBeUndefined();
  });

  it("refuses a missing, wrong, truncated or differently keyed signature, without echoing it", async () => {
    const body = fixtureBytes("github-package-published.json");
    const good = `sha256=${await hmacSha256Hex(SECRET, body)}`;
    const signed = (signature?: string) =>
      webhookDelivery({ body, headers: signature === undefined ? {} : { "x-hub-signature-256": signature } });
    await expect(githubSource.authenticate(signed(good), settings)).resolves.toBeUndefined();
    const tampered = new Uint8Array(body);
    tampered[10] = tampered[10]! ^ 1;
    const candidates = [
      signed(undefined),
      signed(good.slice(0, -1)),
      signed(`sha1=${good.slice(7)}`),
      signed(`sha256=${await hmacSha256Hex("another secret", body)}`),
      webhookDelivery({ body: tampered, headers: { "x-hub-signature-256": good } }),
    ];
    for (const delivery of candidates) {
      const error = await githubSource.authenticate(delivery, settings).catch((e) => e);
      expect(error).toBeInstanceOf(WebhookAuthError);
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain(good.slice(7));
    }
  });
});

describe("github parse", () => {
  it("parses the package event: ghcr.io, digest from the version, tag, delivery id", () => {
    expect(
      githubSource.parse(packageDelivery(fixtureBytes("github-package-published.json")), settings),
    ).toEqual({
      events: [
        {
          registry: "ghcr.io",
          repository: "codertocat/hello-world",
          tag: "v1.2.0",
          digest: "sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8",
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        },
      ],
      ignored: [],
    });
  });

  it("parses registry_package the same way, lowercasing the owner as GHCR does", () => {
    const { package: pkg } = fixtureJson("github-package-published.json") as { package: object };
    const body = {
      action: "published",
      registry_package: patchJson(pkg, { namespace: undefined, owner: { login: "CoderToCat" } }),
    };
    const [event] = githubSource.parse(packageDelivery(body, "registry_package"), settings).events;
    expect(event).toMatchObject({ registry: "ghcr.io", repository: "codertocat/hello-world", tag: "v1.2.0" });
  });

  it("treats an empty tag name as untagged", () => {
    const body = patchedFixture("github-package-published.json", {
      "package.package_version.container_metadata.tag.name": "",
    });
    const [event] = githubSource.parse(packageDelivery(body), settings).events;
    expect(event?.tag).toBeUndefined();
    expect(event?.digest).toBe("sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8");
  });

  it("parses the create action as a push, like published", () => {
    const body = patchedFixture("github-package-published.json", { action: "create" });
    expect(githubSource.parse(packageDelivery(body), settings).events).toEqual(
      githubSource.parse(packageDelivery(fixtureBytes("github-package-published.json")), settings).events,
    );
  });

  it("reads the version's digest and tolerates malformed container_metadata", () => {
    // As GHCR sends them: empty config digests and media types, and here a broken tag digest.
    const body = patchedFixture("github-package-published.json", {
      "package.package_version.container_metadata.tag.digest": "sha256:not-a-digest",
      "package.package_version.container_metadata.manifest.digest": "",
      "package.package_version.container_metadata.manifest.media_type": "",
      "package.package_version.container_metadata.manifest.config": { digest: "", media_type: "", size: 0 },
    });
    const [event] = githubSource.parse(packageDelivery(body), settings).events;
    expect(event).toEqual({
      registry: "ghcr.io",
      repository: "codertocat/hello-world",
      tag: "v1.2.0",
      digest: "sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8",
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    });
    for (const metadata of [null, "", { tag: null, manifest: [] }, { tag: { name: 42 } }]) {
      const odd = patchedFixture("github-package-published.json", {
        "package.package_version.container_metadata": metadata,
      });
      const [parsed] = githubSource.parse(packageDelivery(odd), settings).events;
      expect(parsed, JSON.stringify(metadata)).toMatchObject({ digest: event?.digest });
      expect(parsed?.tag).toBeUndefined();
    }
  });

  it("falls back to the version's name, then container_metadata, when the version is no digest", () => {
    const manifestDigest = `sha256:${"a".repeat(64)}`;
    const byName = patchedFixture("github-package-published.json", {
      "package.package_version.version": "v1.2.0",
    });
    expect(githubSource.parse(packageDelivery(byName), settings).events[0]?.digest).toBe(
      "sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8",
    );
    const byMetadata = patchedFixture("github-package-published.json", {
      "package.package_version.version": "v1.2.0",
      "package.package_version.name": "v1.2.0",
      "package.package_version.container_metadata.manifest.digest": manifestDigest,
    });
    expect(githubSource.parse(packageDelivery(byMetadata), settings).events[0]?.digest).toBe(manifestDigest);
  });

  it("ignores another ecosystem's package whatever the shape of its version", () => {
    const npm = patchedFixture("github-package-published.json", {
      "package.package_type": "npm",
      "package.package_version": null,
    });
    expect(githubSource.parse(packageDelivery(npm), settings)).toEqual({
      events: [],
      ignored: [{ reason: "npm package", eventId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" }],
    });
  });

  it("ignores ping, other actions and other package types", () => {
    expect(
      githubSource.parse(packageDelivery({ zen: "Keep it logically awesome." }, "ping"), settings).ignored,
    ).toEqual([{ reason: "ping event", eventId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" }]);
    const updated = patchedFixture("github-package-published.json", { action: "updated" });
    expect(githubSource.parse(packageDelivery(updated), settings).ignored[0]?.reason).toBe("package updated");
    const npm = patchedFixture("github-package-published.json", { "package.package_type": "npm" });
    expect(githubSource.parse(packageDelivery(npm), settings).ignored[0]?.reason).toBe("npm package");
  });

  it.each<[string, JsonPatch, string]>([
    [
      "a non-sha256 version digest",
      { "package.package_version.version": `sha512:${"a".repeat(128)}` },
      "only sha256",
    ],
    [
      "no digest anywhere",
      {
        "package.package_version.version": "latest",
        "package.package_version.name": "latest",
        "package.package_version.container_metadata": undefined,
      },
      "names no digest",
    ],
    ["a package name with traversal", { "package.name": "../../admin" }, "package.name"],
    ["a missing package", { package: undefined }, "package: Invalid input"],
    ["a tag name with a colon", { "package.package_version.container_metadata.tag.name": "a:b" }, "tag.name"],
  ])("rejects %s", (_name, patch, message) => {
    const body = patchedFixture("github-package-published.json", patch);
    expect(() => githubSource.parse(packageDelivery(body), settings)).toThrow(WebhookPayloadError);
    expect(() => githubSource.parse(packageDelivery(body), settings)).toThrow(message);
  });
});
