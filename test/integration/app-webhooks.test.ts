// POST /webhooks/:name through the whole app, in process: every fixture source accepted with its real
// credential (jobs with the right registry, repository and reference), refused without one (nothing
// parsed, queued or fetched), policy refusals, redelivery dedupe, the body cap and bad payloads.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { gaveUp } from "../../lib/attach/failure.ts";
import { type AppHarness, createAppHarness, problemOf } from "../support/app/harness.ts";
import {
  type Credential,
  distributionPush,
  SECRET,
  type WebhookCase,
  webhookCases,
  webhookConfig,
} from "../support/app/webhook-cases.ts";
import { fixtureBytes, patchedFixture } from "../support/webhooks/delivery.ts";
import { createTestOidcIssuer, type TestOidcIssuer } from "../support/webhooks/google-oidc.ts";

const encoder = new TextEncoder();
let oidc: TestOidcIssuer;
const cases: Record<string, WebhookCase> = webhookCases(() => oidc);
let h: AppHarness;
let fetchSpy: ReturnType<typeof vi.spyOn>;
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
  h = await createAppHarness(webhookConfig(oidc), { env: { WEBHOOK_SECRET: SECRET } });
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

describe("the embedded default configuration", () => {
  it("accepts unauthenticated distribution events for loopback registries only", async () => {
    h.close();
    h = await createAppHarness({});
    const accepted = await post("distribution", distributionPush, { "content-type": "application/json" });
    expect(accepted.status).toBe(202);
    const body = (await accepted.json()) as { accepted: string[] };
    expect(body.accepted).toHaveLength(1);
    expect((await h.store.getJob(body.accepted[0]!))?.request.registry).toBe("127.0.0.1:5001");
    const remote = JSON.stringify(
      patchedFixture("distribution-2.8-manifest-push-by-tag.json", {
        "events.0.action": "push",
        "events.0.id": "another-event",
        "events.0.target.url": "https://registry.example.com/v2/test/app/manifests/sha256:x",
      }),
    );
    const refused = (await (await post("distribution", remote, {})).json()) as { accepted: string[] };
    expect(refused.accepted).toEqual([]);
    expect(h.queue.jobs).toHaveLength(1);
    expect(fetchSpy).not.toHaveBeenCalled();
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

  it("a delivery whose job died of transient failures is run again by the redelivery", async () => {
    const credential = await cases.distribution!.credential(distributionPush);
    const first = (await (await deliver("distribution", credential)).json()) as { accepted: string[] };
    const [jobId] = first.accepted;
    // What runAttachJob records when the registry stayed unreachable through every attempt.
    await h.store.updateJob(jobId!, {
      status: "dead",
      attempts: 5,
      lastError: gaveUp(5, "RegistryConnectionError: manifest.get: GET http://127.0.0.1:5000/v2/x failed"),
      finishedAt: new Date().toISOString(),
    });
    const again = (await (await deliver("distribution", credential)).json()) as { accepted: string[] };
    expect(again.accepted).toEqual([jobId]);
    expect(h.queue.jobs.map((job) => job.jobId)).toEqual([jobId, jobId]);
    const revived = await h.store.getJob(jobId!);
    expect(revived).toMatchObject({ status: "queued", attempts: 0 });
    expect(revived?.lastError).toBeUndefined();
    expect(revived?.finishedAt).toBeUndefined();
  });

  it("a delivery whose job was refused for good stays dead: the redelivery is a duplicate", async () => {
    const credential = await cases.distribution!.credential(distributionPush);
    const first = (await (await deliver("distribution", credential)).json()) as { accepted: string[] };
    const [jobId] = first.accepted;
    await h.store.updateJob(jobId!, {
      status: "dead",
      attempts: 1,
      lastError: "RegistryError: manifest.get: GET http://127.0.0.1:5000/v2/x answered 403",
    });
    const again = (await (await deliver("distribution", credential)).json()) as {
      accepted: string[];
      ignored: { reason: string }[];
    };
    expect(again.accepted).toEqual([]);
    expect(again.ignored.map((i) => i.reason)).toEqual(["redelivery"]);
    expect(h.queue.jobs).toHaveLength(1);
    expect((await h.store.getJob(jobId!))?.status).toBe("dead");
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
