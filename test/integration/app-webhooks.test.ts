// POST /webhooks/:name through the whole app, in process: every fixture source accepted with its real
// credential (jobs with the right registry, repository and reference), refused without one (nothing
// parsed, queued or fetched), policy refusals, redelivery dedupe, the body cap and bad payloads.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConfigInput } from "../../lib/config/schema.ts";
import { hmacSha256Hex } from "../../lib/webhooks/hmac.ts";
import { type AppHarness, createAppHarness, problemOf } from "../support/app-harness.ts";
import { createTestOidcIssuer, pubsubClaims, type TestOidcIssuer } from "../support/google-oidc.ts";
import { fixtureBytes, patchedFixture } from "../support/webhook-delivery.ts";

const SECRET = "webhook-Secret-0123456789abcdef";
const GAR_AUDIENCE = "https://countersign.example/webhooks/gar";
const GAR_EMAIL = "pubsub-push@my-project.iam.gserviceaccount.com";
const encoder = new TextEncoder();

/** The distribution fixture named "push-by-tag" was captured as a pull; a push differs only in `action`. */
const distributionPush = encoder.encode(
  JSON.stringify(patchedFixture("distribution-2.8-manifest-push-by-tag.json", { "events.0.action": "push" })),
);

let oidc: TestOidcIssuer;
let h: AppHarness;
let fetchSpy: ReturnType<typeof vi.spyOn>;

function config(): ConfigInput {
  const secret = { env: "WEBHOOK_SECRET" };
  return {
    registries: [
      "127.0.0.1:*",
      "hub.harbor.com",
      "harbor.dev",
      "docker.io",
      "ghcr.io",
      "123456789012.dkr.ecr.us-west-2.amazonaws.com",
      "myregistry.azurecr.io",
      "quay.io",
      "us-west1-docker.pkg.dev",
      "example.jfrog.io",
      "zot.example",
    ].map((host) => ({ host })),
    webhooks: [
      {
        name: "local",
        kind: "distribution",
        settings: { auth: { bearer: secret } },
        registries: ["127.0.0.1:*"],
      },
      { name: "harbor", kind: "harbor", settings: { auth: { value: secret } } },
      { name: "hub", kind: "dockerhub", settings: { token: secret } },
      { name: "gh", kind: "github", settings: { secret } },
      { name: "ecr", kind: "ecr", settings: { auth: { header: "x-api-key", value: secret } } },
      { name: "acr", kind: "acr", settings: { auth: { header: "X-Acr-Token", value: secret } } },
      { name: "quay", kind: "quay", settings: { token: secret, tokenParameter: "key" } },
      {
        name: "gar",
        kind: "gar",
        settings: { audience: GAR_AUDIENCE, serviceAccountEmail: GAR_EMAIL, jwks: { keys: oidc.jwks.keys } },
      },
      {
        name: "jfrog",
        kind: "artifactory",
        settings: { secret, secretMode: "hmac-sha256", registry: "example.jfrog.io" },
      },
      {
        name: "zot",
        kind: "zot",
        settings: { auth: { basic: { username: "zot", password: secret } }, registry: "zot.example" },
      },
    ],
  } as ConfigInput;
}

interface Credential {
  readonly headers: Record<string, string>;
  readonly query: string;
}

interface Case {
  readonly webhook: string;
  readonly body: () => Uint8Array;
  readonly headers?: Record<string, string>;
  credential(body: Uint8Array): Promise<Credential>;
  /** The job request each accepted event must produce. */
  readonly jobs: readonly { registry: string; repository: string; reference: string; digest?: string }[];
}

const header = (name: string, value: string) => async (): Promise<Credential> => ({
  headers: { [name]: value },
  query: "",
});

const cases: Record<string, Case> = {
  distribution: {
    webhook: "local",
    body: () => distributionPush,
    headers: { "content-type": "application/vnd.docker.distribution.events.v1+json" },
    credential: header("authorization", `Bearer ${SECRET}`),
    jobs: [
      {
        registry: "127.0.0.1:5001",
        repository: "test/app",
        reference: "sha256:8674fffc6af5b2968f0a4e998a05fc2918fb8080ed6727ae06b9e26ece562dab",
        digest: "sha256:8674fffc6af5b2968f0a4e998a05fc2918fb8080ed6727ae06b9e26ece562dab",
      },
    ],
  },
  "harbor default": {
    webhook: "harbor",
    body: () => fixtureBytes("harbor-default-push.json"),
    credential: header("authorization", SECRET),
    jobs: [
      {
        registry: "hub.harbor.com",
        repository: "test-webhook/debian",
        reference: "sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8",
        digest: "sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8",
      },
    ],
  },
  "harbor cloudevents": {
    webhook: "harbor",
    body: () => fixtureBytes("harbor-cloudevents-push-by-digest.json"),
    headers: { "content-type": "application/cloudevents+json" },
    credential: header("authorization", SECRET),
    jobs: [
      {
        registry: "harbor.dev",
        repository: "library/busybox",
        reference: "sha256:dde8e930c7b6a490f728e66292bc9bce42efc9bbb5278bae40e4f30f6e00fe8c",
        digest: "sha256:dde8e930c7b6a490f728e66292bc9bce42efc9bbb5278bae40e4f30f6e00fe8c",
      },
    ],
  },
  dockerhub: {
    webhook: "hub",
    body: () => fixtureBytes("dockerhub-push.json"),
    credential: async () => ({ headers: {}, query: `?token=${SECRET}` }),
    // No digest in Docker Hub's payload: the job resolves the tag once.
    jobs: [{ registry: "docker.io", repository: "svendowideit/testhook", reference: "latest" }],
  },
  github: {
    webhook: "gh",
    body: () => fixtureBytes("github-package-published.json"),
    headers: { "x-github-event": "package", "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
    credential: async (body) => ({
      headers: { "x-hub-signature-256": `sha256=${await hmacSha256Hex(SECRET, body)}` },
      query: "",
    }),
    jobs: [
      {
        registry: "ghcr.io",
        repository: "codertocat/hello-world",
        reference: "sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8",
        digest: "sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8",
      },
    ],
  },
  ecr: {
    webhook: "ecr",
    body: () => fixtureBytes("ecr-eventbridge-push.json"),
    credential: header("x-api-key", SECRET),
    jobs: [
      {
        registry: "123456789012.dkr.ecr.us-west-2.amazonaws.com",
        repository: "my-repository-name",
        reference: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678",
        digest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678",
      },
    ],
  },
  acr: {
    webhook: "acr",
    body: () => fixtureBytes("acr-push.json"),
    credential: header("x-acr-token", SECRET),
    jobs: [
      {
        registry: "myregistry.azurecr.io",
        repository: "hello-world",
        reference: "sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d",
        digest: "sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d",
      },
    ],
  },
  quay: {
    webhook: "quay",
    body: () => fixtureBytes("quay-repo-push.json"),
    credential: async () => ({ headers: {}, query: `?key=${SECRET}` }),
    jobs: [{ registry: "quay.io", repository: "dgangaia/test", reference: "latest" }],
  },
  gar: {
    webhook: "gar",
    body: () => fixtureBytes("gar-pubsub-push.json"),
    credential: async () => ({
      headers: {
        authorization: `Bearer ${await oidc.sign(pubsubClaims({ aud: GAR_AUDIENCE, email: GAR_EMAIL }))}`,
      },
      query: "",
    }),
    jobs: [
      {
        registry: "us-west1-docker.pkg.dev",
        repository: "my-project/my-repo/hello-world",
        reference: "sha256:6ec128e26cd5c6d4ba6b7e2e6ba4a8b6d1bdbd2fef0c4d6b1e8d0bcbc0f6a1d2",
        digest: "sha256:6ec128e26cd5c6d4ba6b7e2e6ba4a8b6d1bdbd2fef0c4d6b1e8d0bcbc0f6a1d2",
      },
    ],
  },
  artifactory: {
    webhook: "jfrog",
    body: () => fixtureBytes("artifactory-docker-pushed.json"),
    credential: async (body) => ({
      headers: { "x-jfrog-event-auth": await hmacSha256Hex(SECRET, body) },
      query: "",
    }),
    jobs: [
      {
        registry: "example.jfrog.io",
        // The default "repository path" addressing: `<host>/<repo_key>/<image>`.
        repository: "docker-local/library/ubuntu",
        reference: "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce",
        digest: "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce",
      },
    ],
  },
  zot: {
    webhook: "zot",
    body: () => fixtureBytes("zot-image-updated-data.json"),
    headers: {
      "ce-specversion": "1.0",
      "ce-id": "1",
      "ce-source": "zotregistry.dev",
      "ce-type": "zotregistry.image.updated",
    },
    credential: header("authorization", `Basic ${btoa(`zot:${SECRET}`)}`),
    jobs: [
      {
        registry: "zot.example",
        repository: "library/alpine",
        reference: "sha256:0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
        digest: "sha256:0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
      },
    ],
  },
};

function post(
  webhook: string,
  body: BodyInit,
  headers: Record<string, string>,
  query = "",
): Promise<Response> {
  return Promise.resolve(
    h.app.request(`http://127.0.0.1:8080/webhooks/${webhook}${query}`, { method: "POST", body, headers }),
  );
}

async function deliver(name: string, credential?: Credential, body = cases[name]!.body()): Promise<Response> {
  const c = cases[name]!;
  const headers = { "content-type": "application/json", ...c.headers, ...credential?.headers };
  return post(c.webhook, new Uint8Array(body), headers, credential?.query ?? "");
}

beforeAll(async () => {
  oidc = await createTestOidcIssuer();
});

beforeEach(async () => {
  h = await createAppHarness(config(), { env: { WEBHOOK_SECRET: SECRET } });
  // The app itself must never reach out for a webhook: any fetch is a failure.
  fetchSpy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no outbound requests in this test"));
});

afterEach(() => {
  fetchSpy.mockRestore();
  h.close();
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe("POST /webhooks/:name with each source's fixture", () => {
  it.each(Object.keys(cases))("%s: the right credential queues jobs for the pushed image", async (name) => {
    const c = cases[name]!;
    const body = c.body();
    const response = await deliver(name, await c.credential(body), body);
    expect(response.status).toBe(202);
    const result = (await response.json()) as { accepted: string[]; ignored: unknown[] };
    expect(result.accepted).toHaveLength(c.jobs.length);
    const jobs = await Promise.all(result.accepted.map((id) => h.store.getJob(id)));
    expect(jobs.map((job) => job?.request)).toEqual(c.jobs);
    expect(jobs.every((job) => job?.status === "queued" && job.source === `webhook:${c.webhook}`)).toBe(true);
    expect(h.queue.jobs.map((job) => job.jobId)).toEqual(result.accepted);
    expect(h.queue.jobs.map((job) => job.request)).toEqual(c.jobs);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it.each(Object.keys(cases))(
    "%s: no credential is a 401 problem; nothing is queued, stored or fetched",
    async (name) => {
      const response = await deliver(name);
      expect(response.status).toBe(401);
      const problem = await problemOf(response);
      expect(problem.type).toBe("urn:countersign:problem:webhook-unauthorized");
      expect(problem.instance).toBe(response.headers.get("x-request-id"));
      expect(JSON.stringify(problem)).not.toContain(SECRET);
      expect(h.queue.jobs).toEqual([]);
      expect(await h.store.listJobs()).toEqual([]);
      expect(fetchSpy).not.toHaveBeenCalled();
    },
  );

  it("a wrong credential on a hostile body is refused before the body is parsed", async () => {
    // Not JSON at all: a parse before authentication would answer 400, not 401.
    const response = await post("local", "{not json", { authorization: `Bearer ${SECRET}x` });
    expect(response.status).toBe(401);
    expect(h.metrics.webhooks.get({ source: "distribution", outcome: "unauthorized" })).toBe(1);
  });

  it("an unknown webhook name is a 404 problem", async () => {
    const response = await post("nope", "{}", { authorization: `Bearer ${SECRET}` });
    expect(response.status).toBe(404);
    expect((await problemOf(response)).type).toBe("urn:countersign:problem:webhook-not-found");
  });
});

describe("policy at intake", () => {
  it("an unconfigured registry host is refused: 202 with the reason, no job, no request", async () => {
    const body = encoder.encode(
      JSON.stringify(
        patchedFixture("distribution-2.8-manifest-push-by-tag.json", {
          "events.0.action": "push",
          "events.0.target.url": "http://evil.example:5000/v2/test/app/manifests/sha256:x",
        }),
      ),
    );
    const response = await deliver("distribution", await cases.distribution!.credential(body), body);
    expect(response.status).toBe(202);
    const result = (await response.json()) as { accepted: string[]; ignored: { reason: string }[] };
    expect(result.accepted).toEqual([]);
    expect(result.ignored.map((i) => i.reason).join()).toContain("evil.example:5000");
    expect(await h.store.listJobs()).toEqual([]);
    expect(h.queue.jobs).toEqual([]);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(h.metrics.webhooks.get({ source: "distribution", outcome: "refused" })).toBe(1);
  });

  it("a configured registry outside the webhook's own registries is refused", async () => {
    // The GitHub fixture names ghcr.io, configured; the `local` webhook serves only 127.0.0.1:*.
    const body = encoder.encode(
      JSON.stringify(
        patchedFixture("distribution-2.8-manifest-push-by-tag.json", {
          "events.0.action": "push",
          "events.0.target.url": "https://ghcr.io/v2/test/app/manifests/sha256:x",
        }),
      ),
    );
    const response = await deliver("distribution", await cases.distribution!.credential(body), body);
    const result = (await response.json()) as { accepted: string[]; ignored: { reason: string }[] };
    expect(result.accepted).toEqual([]);
    expect(result.ignored[0]?.reason).toContain("does not serve registry");
    expect(h.queue.jobs).toEqual([]);
  });

  it("a pushed signature (cosign .sig tag) is never signed", async () => {
    const body = fixtureBytes("distribution-2.8-cosign-signature-push.json");
    const response = await deliver("distribution", await cases.distribution!.credential(body), body);
    const result = (await response.json()) as { accepted: string[]; ignored: { reason: string }[] };
    expect(result.accepted).toEqual([]);
    expect(result.ignored[0]?.reason).toContain("signature");
    expect(h.queue.jobs).toEqual([]);
  });

  it("pulls and blob events are ignored, with their reason", async () => {
    const body = fixtureBytes("distribution-2.8-blob-push.json");
    const response = await deliver("distribution", await cases.distribution!.credential(body), body);
    expect(response.status).toBe(202);
    const result = (await response.json()) as { accepted: string[]; ignored: { reason: string }[] };
    expect(result.accepted).toEqual([]);
    expect(result.ignored.length).toBeGreaterThan(0);
    expect(h.metrics.webhooks.get({ source: "distribution", outcome: "ignored" })).toBe(
      result.ignored.length,
    );
  });
});

describe("redeliveries", () => {
  it("a redelivered event (same delivery id) creates no second job", async () => {
    const credential = await cases.distribution!.credential(distributionPush);
    const first = (await (await deliver("distribution", credential)).json()) as { accepted: string[] };
    const second = (await (await deliver("distribution", credential)).json()) as {
      accepted: string[];
      ignored: { reason: string; eventId?: string }[];
    };
    expect(first.accepted).toHaveLength(1);
    expect(second.accepted).toEqual([]);
    expect(second.ignored).toEqual([
      { reason: "redelivery", eventId: "93e22dbc-395a-4bdf-86d5-e7f01b598dd2" },
    ]);
    expect(await h.store.listJobs()).toHaveLength(1);
    expect(h.queue.jobs).toHaveLength(1);
    expect(h.metrics.webhooks.get({ source: "distribution", outcome: "duplicate" })).toBe(1);
  });

  it("concurrent duplicates of one delivery yield one job", async () => {
    const c = cases["harbor cloudevents"]!;
    const credential = await c.credential(c.body());
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => deliver("harbor cloudevents", credential)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(202));
    expect(await h.store.listJobs()).toHaveLength(1);
    expect(h.queue.jobs).toHaveLength(1);
  });

  it("a delivery whose job never reached the queue is enqueued by the redelivery", async () => {
    const credential = await cases.distribution!.credential(distributionPush);
    h.queue.failNext = true;
    const failed = await deliver("distribution", credential);
    expect(failed.status).toBe(503);
    expect((await problemOf(failed)).type).toBe("urn:countersign:problem:queue-unavailable");
    const [stored] = await h.store.listJobs();
    expect(stored?.status).toBe("failed");
    const retried = (await (await deliver("distribution", credential)).json()) as { accepted: string[] };
    expect(retried.accepted).toEqual([stored?.id]);
    expect(h.queue.jobs.map((job) => job.jobId)).toEqual([stored?.id]);
    expect((await h.store.getJob(stored!.id))?.status).toBe("queued");
  });
});

describe("body limits and bad payloads", () => {
  it("a declared body over 1 MiB is a 413 problem, before authentication", async () => {
    const response = await post("local", new Uint8Array(1024 * 1024 + 1), {
      authorization: `Bearer ${SECRET}`,
      "content-length": String(1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect((await problemOf(response)).type).toBe("urn:countersign:problem:payload-too-large");
  });

  it("a streamed body without Content-Length is cut at 1 MiB", async () => {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless: only the cap stops it.
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const request = new Request("http://127.0.0.1:8080/webhooks/local", {
      method: "POST",
      body: stream,
      headers: { authorization: `Bearer ${SECRET}` },
      duplex: "half",
    } as RequestInit);
    expect(request.headers.get("content-length")).toBeNull();
    const response = await h.app.request(request);
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(2 * 1024 * 1024);
    expect(h.metrics.webhooks.get({ source: "distribution", outcome: "too_large" })).toBe(1);
  });

  it("an authenticated body that is not JSON is a 400 problem", async () => {
    const response = await post("local", "{not json", { authorization: `Bearer ${SECRET}` });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.type).toBe("urn:countersign:problem:invalid-webhook-payload");
    expect(problem.detail).toContain("not valid JSON");
  });

  it("a bad field is a 400 problem naming it", async () => {
    const body = JSON.stringify(
      patchedFixture("distribution-2.8-manifest-push-by-tag.json", {
        "events.0.action": "push",
        "events.0.target.digest": "sha256:nothex",
      }),
    );
    const response = await post("local", body, { authorization: `Bearer ${SECRET}` });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors?.map((e) => e.path)).toContain("events.0.target.digest");
    expect(problem.detail).toContain("events.0.target.digest");
    expect(await h.store.listJobs()).toEqual([]);
  });
});
