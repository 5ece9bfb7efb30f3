// Metrics and logs through the app: /metrics is valid Prometheus text and counts what happened, and
// the access and error logs never carry a secret, however the request smuggles it in.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../lib/config/schema.ts";
import { countedFetch } from "../../lib/observability/counted-fetch.ts";
import { hmacSha256Hex } from "../../lib/webhooks/hmac.ts";
import { type AppHarness, createAppHarness, problemOf } from "../support/app/harness.ts";
import { parsePrometheusText, sampleValue } from "../support/app/prometheus-text.ts";
import { patchedFixture } from "../support/webhooks/delivery.ts";

const SECRET = "webhook-Secret-0123456789abcdef";
const API_TOKEN = "api-Token-0123456789abcdefXYZ";
const REGISTRY_PASSWORD = "registry-Password-42-abcdef";
const push = JSON.stringify(
  patchedFixture("distribution-2.8-manifest-push-by-tag.json", { "events.0.action": "push" }),
);

let h: AppHarness;

beforeEach(async () => {
  h = await createAppHarness(
    {
      registries: [{ host: "127.0.0.1:*" }, { host: "ghcr.io" }, { host: "docker.io" }, { host: "quay.io" }],
      webhooks: [
        { name: "local", kind: "distribution", settings: { auth: { bearer: { env: "SECRET" } } } },
        { name: "gh", kind: "github", settings: { secret: { env: "SECRET" } } },
        { name: "hub", kind: "dockerhub", settings: { token: { env: "SECRET" } } },
        { name: "quay", kind: "quay", settings: { token: { env: "SECRET" }, tokenParameter: "sesame" } },
      ],
      api: { tokens: [{ env: "API_TOKEN" }] },
    } as ConfigInput,
    { env: { SECRET, API_TOKEN } },
  );
});

afterEach(() => h.close());

function call(path: string, init: RequestInit = {}) {
  return Promise.resolve(h.app.request(`http://127.0.0.1:8080${path}`, init));
}

async function metrics() {
  const response = await call("/metrics");
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(await response.text());
}

describe("/metrics", () => {
  it("is Prometheus text 0.0.4 counting webhooks, jobs and requests", async () => {
    await call("/webhooks/local", {
      method: "POST",
      body: push,
      headers: { authorization: `Bearer ${SECRET}` },
    });
    await call("/webhooks/local", { method: "POST", body: push, headers: { authorization: "Bearer wrong" } });
    await call("/v1/signatures", {
      method: "POST",
      body: JSON.stringify({ reference: "127.0.0.1:5000/a/b:c" }),
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json" },
    });
    const families = await metrics();
    for (const name of [
      "countersign_webhooks_total",
      "countersign_jobs_total",
      "countersign_signatures_total",
      "countersign_registry_requests_total",
      "countersign_http_request_duration_seconds",
      "countersign_job_duration_seconds",
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    expect(families.get("countersign_http_request_duration_seconds")?.type).toBe("histogram");
    expect(
      sampleValue(families, "countersign_webhooks_total", { source: "distribution", outcome: "accepted" }),
    ).toBe(1);
    expect(
      sampleValue(families, "countersign_webhooks_total", {
        source: "distribution",
        outcome: "unauthorized",
      }),
    ).toBe(1);
    expect(sampleValue(families, "countersign_jobs_total", { status: "queued" })).toBe(2);
    const webhook202 = { method: "POST", route: "/webhooks/:name", status: "202" };
    expect(sampleValue(families, "countersign_http_request_duration_seconds_count", webhook202)).toBe(1);
    expect(
      sampleValue(families, "countersign_http_request_duration_seconds_bucket", {
        ...webhook202,
        le: "+Inf",
      }),
    ).toBe(1);
    expect(
      sampleValue(families, "countersign_http_request_duration_seconds_count", {
        method: "POST",
        route: "/webhooks/:name",
        status: "401",
      }),
    ).toBe(1);
  });

  it("labels unmatched paths as one route, so hostile paths cannot grow the series", async () => {
    for (let i = 0; i < 5; i++) await call(`/no/such/path/${i}`);
    const families = await metrics();
    const routes = new Set(
      families.get("countersign_http_request_duration_seconds")?.samples.map((sample) => sample.labels.route),
    );
    expect([...routes].some((route) => route?.startsWith("/no/"))).toBe(false);
  });

  it("counts registry requests made through the counted fetch, by method and status", async () => {
    const server: Server = createServer((req, res) => res.writeHead(req.method === "HEAD" ? 404 : 200).end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const fetcher = countedFetch(fetch, h.metrics.registryRequests);
      await fetcher(`${base}/v2/`);
      await fetcher(`${base}/v2/a/manifests/b`, { method: "HEAD" });
      await fetcher("http://127.0.0.1:1/v2/").catch(() => undefined);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const families = await metrics();
    expect(
      sampleValue(families, "countersign_registry_requests_total", { method: "GET", status: "200" }),
    ).toBe(1);
    expect(
      sampleValue(families, "countersign_registry_requests_total", { method: "HEAD", status: "404" }),
    ).toBe(1);
    expect(
      sampleValue(families, "countersign_registry_requests_total", { method: "GET", status: "error" }),
    ).toBe(1);
  });
});

describe("logs", () => {
  it("carry request id, method, path, status and duration; X-Request-Id is honoured when sane", async () => {
    const sane = await call("/healthz", { headers: { "x-request-id": "req-123.abc" } });
    expect(sane.headers.get("x-request-id")).toBe("req-123.abc");
    const insane = await call("/healthz", { headers: { "x-request-id": `<${"x".repeat(300)}>` } });
    const generated = insane.headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const lines = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = lines.filter((line) => line.msg === "request");
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      level: "info",
      requestId: "req-123.abc",
      method: "GET",
      path: "/healthz",
      status: 200,
    });
    expect(access[1]?.requestId).toBe(generated);
    expect(typeof access[0]?.durationMs).toBe("number");
  });

  it("never contain a secret sent in headers, query strings or bodies", async () => {
    const githubBody = "{}";
    const signature = `sha256=${await hmacSha256Hex(SECRET, new TextEncoder().encode(githubBody))}`;
    const basic = btoa(`user:${REGISTRY_PASSWORD}`);
    await call(`/webhooks/local?access_token=${SECRET}&password=${REGISTRY_PASSWORD}`, {
      method: "POST",
      body: push,
      headers: { authorization: `Bearer ${SECRET}`, cookie: `session=${SECRET}` },
    });
    await call("/webhooks/gh", {
      method: "POST",
      body: githubBody,
      headers: { "x-hub-signature-256": signature, "x-github-event": "ping", "x-jfrog-event-auth": SECRET },
    });
    await call(`/webhooks/hub?token=${SECRET}`, { method: "POST", body: "{}" });
    await call(`/webhooks/quay?sesame=${SECRET}`, { method: "POST", body: "{}" });
    await call(`/v1/jobs?token=${API_TOKEN}`, { headers: { authorization: `Basic ${basic}` } });
    await call("/v1/jobs", { headers: { authorization: `Bearer ${API_TOKEN}` } });
    // An operation failing with credentials in its message: a 500 whose detail says nothing.
    h.operations.verify = async () => {
      throw new Error(
        `GET https://user:${REGISTRY_PASSWORD}@127.0.0.1:5000/v2/?token=${SECRET} failed: Bearer ${API_TOKEN}`,
      );
    };
    const failed = await call("/v1/verify?ref=127.0.0.1:5000/a/b:c", {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(failed.status).toBe(500);
    const problem = await problemOf(failed);
    expect(problem.type).toBe("urn:countersign:problem:internal");
    expect(JSON.stringify(problem)).not.toMatch(new RegExp(`${REGISTRY_PASSWORD}|${SECRET}|${API_TOKEN}`));

    const text = h.logs.join("\n");
    expect(h.logs.length).toBeGreaterThan(7);
    for (const secret of [SECRET, API_TOKEN, REGISTRY_PASSWORD, signature, basic, signature.slice(7)]) {
      expect(text).not.toContain(secret);
    }
    // Still useful: the paths are there, with the secret values replaced.
    expect(text).toContain("/webhooks/hub?token=[REDACTED]");
    expect(text).toContain("/webhooks/quay?sesame=[REDACTED]");
    // The failure is logged, with its (scrubbed) message, under the request id the client got.
    const error = h.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((l) => l.msg === "request failed");
    expect(error?.requestId).toBe(problem.instance);
    expect(JSON.stringify(error)).toContain("127.0.0.1:5000/v2/");
  });
});
