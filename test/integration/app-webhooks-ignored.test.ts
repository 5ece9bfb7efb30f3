// POST /webhooks/:name for what senders send besides pushes: every authenticated delivery that is not a
// push answers 202 with the reason it was ignored (a 4xx makes senders retry, or flag the endpoint),
// and nothing is stored, queued or fetched. 4xx stays for a push whose repository, digest or tag is
// invalid. Bodies are the senders' documented (or source-derived) events, credentials the real ones.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type AppHarness, createAppHarness, problemOf } from "../support/app/harness.ts";
import { SECRET, type WebhookCase, webhookCases, webhookConfig } from "../support/app/webhook-cases.ts";
import { fixtureBytes, fixtureJson, patchedFixture } from "../support/webhooks/delivery.ts";
import { createTestOidcIssuer, type TestOidcIssuer } from "../support/webhooks/google-oidc.ts";

const encoder = new TextEncoder();
let oidc: TestOidcIssuer;
const cases: Record<string, WebhookCase> = webhookCases(() => oidc);
let h: AppHarness;
let fetchSpy: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  oidc = await createTestOidcIssuer();
});

beforeEach(async () => {
  h = await createAppHarness(webhookConfig(oidc), { env: { WEBHOOK_SECRET: SECRET } });
  fetchSpy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no outbound requests in this test"));
});

afterEach(() => {
  fetchSpy.mockRestore();
  h.close();
});

interface Delivery {
  /** The webhook case whose webhook, headers and credential the delivery uses. */
  readonly via: string;
  readonly body: Uint8Array | object;
  readonly headers?: Record<string, string>;
}

async function deliver({ via, body, headers }: Delivery): Promise<Response> {
  const c = cases[via]!;
  const bytes = body instanceof Uint8Array ? body : encoder.encode(JSON.stringify(body));
  const credential = await c.credential(bytes);
  return h.app.request(`http://127.0.0.1:8080/webhooks/${c.webhook}${credential.query}`, {
    method: "POST",
    body: new Uint8Array(bytes),
    headers: { "content-type": "application/json", ...c.headers, ...headers, ...credential.headers },
  });
}

const gar = (data: object) =>
  patchedFixture("gar-pubsub-push.json", { "message.data": btoa(JSON.stringify(data)) });
const zotEvent = (type: string, data: object) => ({
  via: "zot",
  body: data,
  headers: { "ce-type": type, "ce-id": "0f4c2f6e-5f9b-4a1a-9a57-0c1f3a8f7b11" },
});

const notPushes: Record<string, Delivery & { readonly reasons: readonly string[] }> = {
  "distribution: a pull": {
    via: "distribution",
    body: fixtureBytes("distribution-2.8-manifest-push-by-tag.json"),
    reasons: ["pull event"],
  },
  "distribution: a blob push": {
    via: "distribution",
    body: fixtureBytes("distribution-2.8-blob-push.json"),
    reasons: ["push of application/octet-stream (not a manifest)"],
  },
  "harbor 2.x: PULL_ARTIFACT": {
    via: "harbor default",
    body: patchedFixture("harbor-default-push.json", { type: "PULL_ARTIFACT" }),
    reasons: ["PULL_ARTIFACT event"],
  },
  "harbor 2.x: QUOTA_EXCEED without event_data": {
    via: "harbor default",
    body: { type: "QUOTA_EXCEED", occur_at: 1586922308, operator: "admin" },
    reasons: ["QUOTA_EXCEED event"],
  },
  "harbor 1.x: deleteImage": {
    via: "harbor 1.x",
    body: patchedFixture("harbor-1.10-push-image.json", { type: "deleteImage" }),
    reasons: ["deleteImage event"],
  },
  "harbor CloudEvents: harbor.artifact.deleted": {
    via: "harbor cloudevents",
    body: patchedFixture("harbor-cloudevents-push-by-digest.json", { type: "harbor.artifact.deleted" }),
    reasons: ["harbor.artifact.deleted event"],
  },
  "github: ping": {
    via: "github",
    body: { zen: "Keep it logically awesome.", hook_id: 1 },
    headers: { "x-github-event": "ping" },
    reasons: ["ping event"],
  },
  "github: package updated": {
    via: "github",
    body: patchedFixture("github-package-published.json", { action: "updated" }),
    reasons: ["package updated"],
  },
  "github: an npm package": {
    via: "github",
    body: patchedFixture("github-package-published.json", {
      "package.package_type": "npm",
      "package.package_version": null,
    }),
    reasons: ["npm package"],
  },
  "ecr: a failed push": {
    via: "ecr",
    body: patchedFixture("ecr-eventbridge-push.json", { "detail.result": "FAILURE" }),
    reasons: ["PUSH FAILURE image action"],
  },
  "ecr: a scan result": {
    via: "ecr",
    body: patchedFixture("ecr-eventbridge-push.json", { "detail-type": "ECR Image Scan" }),
    reasons: ["aws.ecr ECR Image Scan event"],
  },
  "acr: ping": {
    via: "acr",
    body: patchedFixture("acr-push.json", { action: "ping", target: undefined }),
    reasons: ["ping event"],
  },
  "acr: delete": {
    via: "acr",
    body: patchedFixture("acr-push.json", { action: "delete" }),
    reasons: ["delete event"],
  },
  "quay: build_success": {
    via: "quay",
    body: fixtureBytes("quay-build-success.json"),
    reasons: ["build notification (not a push)"],
  },
  "quay: vulnerability_found": {
    via: "quay",
    body: fixtureBytes("quay-vulnerability-found.json"),
    reasons: ["vulnerability_found notification (not a push)"],
  },
  "quay: image expiry": {
    via: "quay",
    body: patchedFixture("quay-repo-push.json", { updated_tags: undefined, tags: ["latest"] }),
    reasons: ["notification without updated_tags (not a push)"],
  },
  "quay: the Repository Push test notification": {
    via: "quay",
    body: patchedFixture("quay-repo-push.json", { updated_tags: ["latest", "foo"], pruned_image_count: 3 }),
    reasons: ["test notification"],
  },
  "gar wrapped: DELETE": {
    via: "gar",
    body: gar({ action: "DELETE", tag: "us-west1-docker.pkg.dev/my-project/my-repo/hello-world:1.1" }),
    reasons: ["DELETE notification"],
  },
  "gar unwrapped: DELETE": {
    via: "gar unwrapped",
    body: { action: "DELETE", tag: "us-west1-docker.pkg.dev/my-project/my-repo/hello-world:1.1" },
    reasons: ["DELETE notification"],
  },
  "artifactory: docker deleted": {
    via: "artifactory",
    body: patchedFixture("artifactory-docker-pushed.json", { event_type: "deleted" }),
    reasons: ["docker deleted event"],
  },
  "zot: image.deleted": {
    ...zotEvent("zotregistry.image.deleted", {
      name: "library/alpine",
      reference: "3.20",
      digest: "sha256:0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    }),
    reasons: ["zotregistry.image.deleted event"],
  },
  "zot: repository.created": {
    ...zotEvent("zotregistry.repository.created", { name: "library/alpine" }),
    reasons: ["zotregistry.repository.created event"],
  },
  "zot: image.lint_failed": {
    ...zotEvent("zotregistry.image.lint_failed", fixtureJson("zot-image-updated-data.json") as object),
    reasons: ["zotregistry.image.lint_failed event"],
  },
};

describe("an authenticated delivery that is not a push", () => {
  it.each(Object.keys(notPushes))(
    "%s: 202 with the reason; nothing stored, queued or fetched",
    async (name) => {
      const { reasons, ...delivery } = notPushes[name]!;
      const response = await deliver(delivery);
      expect(response.status).toBe(202);
      const result = (await response.json()) as { accepted: string[]; ignored: { reason: string }[] };
      expect(result.accepted).toEqual([]);
      expect(result.ignored.map((ignored) => ignored.reason)).toEqual(reasons);
      expect(await h.store.listJobs()).toEqual([]);
      expect(h.queue.jobs).toEqual([]);
      expect(fetchSpy).not.toHaveBeenCalled();
      const source = h.config.webhooks.find((webhook) => webhook.name === cases[delivery.via]!.webhook)!.kind;
      expect(h.metrics.webhooks.get({ source, outcome: "ignored" })).toBe(reasons.length);
    },
  );
});

const invalidPushes: Record<string, Delivery & { readonly path: string }> = {
  "harbor 1.x: a resource_url without a host": {
    via: "harbor 1.x",
    body: patchedFixture("harbor-1.10-push-image.json", {
      "event_data.resources.0.resource_url": "test-webhooks-event/busybox:v1.0",
    }),
    path: "event_data.resources.0.resource_url",
  },
  "github create: no digest anywhere": {
    via: "github create",
    body: patchedFixture("github-package-published.json", {
      action: "create",
      "package.package_version.version": "latest",
      "package.package_version.name": "latest",
      "package.package_version.container_metadata": undefined,
    }),
    path: "package.package_version",
  },
  "quay legacy: a tag that is no tag": {
    via: "quay legacy",
    body: patchedFixture("quay-repo-push-legacy.json", { updated_tags: { "../x": "b750fe79" } }),
    path: "updated_tags.0",
  },
  "gar unwrapped: a digest reference carrying a tag": {
    via: "gar unwrapped",
    body: { action: "INSERT", digest: "us-west1-docker.pkg.dev/my-project/my-repo/hello-world:1.1" },
    path: "digest",
  },
  "zot (typePrefix): a repository with traversal": {
    ...zotEvent(
      "com.example.registry.image.updated",
      patchedFixture("zot-image-updated-data.json", { name: "../alpine" }),
    ),
    path: "data.name",
  },
};

describe("a push whose repository, digest or tag is invalid", () => {
  it.each(Object.keys(invalidPushes))("%s: 400 naming the field; nothing queued", async (name) => {
    const { path, ...delivery } = invalidPushes[name]!;
    const response = await deliver(delivery);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.type).toBe("urn:countersign:problem:invalid-webhook-payload");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    expect(h.queue.jobs).toEqual([]);
  });
});
