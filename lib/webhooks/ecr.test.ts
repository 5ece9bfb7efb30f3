import { describe, expect, it } from "vitest";
import {
  fixtureDelivery,
  type JsonPatch,
  patchedFixture,
  webhookDelivery,
} from "../../test/support/webhooks/delivery.ts";
import { ecrRegistryHost, ecrSettings, ecrSource } from "./ecr.ts";
import { WebhookAuthError, WebhookPayloadError } from "./errors.ts";

const settings = ecrSettings.parse({
  kind: "ecr",
  auth: { header: "x-api-key", value: "ecr-api-key-value-1" },
});

describe("ecr parse", () => {
  it("parses the EventBridge event: the account's registry host, repository, tag, digest", () => {
    expect(ecrSource.parse(fixtureDelivery("ecr-eventbridge-push.json"), settings)).toEqual({
      events: [
        {
          registry: "123456789012.dkr.ecr.us-west-2.amazonaws.com",
          repository: "my-repository-name",
          tag: "latest",
          digest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678",
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          deliveryId: "13cde686-328b-6117-af20-0e5566167482",
        },
      ],
      ignored: [],
    });
  });

  it("treats an empty image-tag as a push by digest", () => {
    const body = patchedFixture("ecr-eventbridge-push.json", { "detail.image-tag": "" });
    expect(ecrSource.parse(webhookDelivery({ body }), settings).events[0]?.tag).toBeUndefined();
  });

  it("uses the China partition's DNS suffix", () => {
    expect(ecrRegistryHost("123456789012", "cn-north-1")).toBe(
      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
    );
  });

  it("ignores deletes, failed pushes and other detail types", () => {
    const reasons = [
      { "detail.action-type": "DELETE" },
      { "detail.result": "FAILURE" },
      { "detail-type": "ECR Image Scan" },
    ].map((patch) => {
      const body = patchedFixture("ecr-eventbridge-push.json", patch);
      return ecrSource.parse(webhookDelivery({ body }), settings).ignored[0]?.reason;
    });
    expect(reasons).toEqual([
      "DELETE SUCCESS image action",
      "PUSH FAILURE image action",
      "aws.ecr ECR Image Scan event",
    ]);
  });

  it.each<[string, JsonPatch, string]>([
    ["an account that is not 12 digits", { account: "evil.example/x" }, "account: not an AWS account id"],
    ["a region with a path", { region: "us-west-2.evil.example" }, "region: not an AWS region"],
    ["a non-sha256 digest", { "detail.image-digest": "md5:abc" }, "detail.image-digest"],
    ["path traversal", { "detail.repository-name": "a/../../b" }, "detail.repository-name"],
  ])("rejects %s", (_name, patch, message) => {
    const body = patchedFixture("ecr-eventbridge-push.json", patch);
    expect(() => ecrSource.parse(webhookDelivery({ body }), settings)).toThrow(WebhookPayloadError);
    expect(() => ecrSource.parse(webhookDelivery({ body }), settings)).toThrow(message);
  });
});

describe("ecr authenticate", () => {
  it("checks the API-key header, or Basic credentials", async () => {
    const apiKey = fixtureDelivery("ecr-eventbridge-push.json", {
      headers: { "x-api-key": "ecr-api-key-value-1" },
    });
    await expect(ecrSource.authenticate(apiKey, settings)).resolves.toBeUndefined();
    const basic = ecrSettings.parse({
      kind: "ecr",
      auth: { basic: { username: "eventbridge", password: "pässword-1" } },
    });
    const encoded = Buffer.from("eventbridge:pässword-1", "utf8").toString("base64");
    const basicDelivery = fixtureDelivery("ecr-eventbridge-push.json", {
      headers: { authorization: `Basic ${encoded}` },
    });
    await expect(ecrSource.authenticate(basicDelivery, basic)).resolves.toBeUndefined();
    for (const [delivery, credential] of [
      [
        fixtureDelivery("ecr-eventbridge-push.json", { headers: { "x-api-key": "ecr-api-key-value-2" } }),
        settings,
      ],
      [apiKey, basic],
    ] as const) {
      const error = await ecrSource.authenticate(delivery, credential).catch((e) => e);
      expect(error).toBeInstanceOf(WebhookAuthError);
      expect(error.message).not.toMatch(/ecr-api-key-value|pässword|ZXZlbnRicmlkZ2/);
    }
  });
});
