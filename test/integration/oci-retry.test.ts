// Retries through a fault-injecting proxy in front of distribution 2.8: 429 with Retry-After (seconds and
// HTTP date), 503, cut connections; and what happens when the faults outlast the retry budget.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { RegistryConnectionError, RegistryError } from "../../lib/oci/errors.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { RequestEvent } from "../../lib/oci/remote/transport.ts";
import { pushArtifact } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";

let registry: RunningRegistry;
let proxy: FaultProxy;
let manifest: Descriptor;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  manifest = (await pushArtifact(new RegistryClient(registry.host).repository("retry/app"), { tag: "v1" }))
    .descriptor;
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

function client(events: RequestEvent[], retry = {}) {
  return new RegistryClient(proxy.host, {
    onRequest: (e) => events.push(e),
    retry: { baseDelayMs: 10, maxDelayMs: 50, ...retry },
  }).repository("retry/app");
}

describe("retries", () => {
  it("waits out 429 with Retry-After in seconds, then succeeds", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 429, retryAfter: "1" }, 1, { path: /manifests\/v1$/ });
    const events: RequestEvent[] = [];
    const started = Date.now();
    const fetched = await client(events).fetchManifest("v1");
    expect(fetched.descriptor.digest).toBe(manifest.digest);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events.map((e) => [e.status, e.attempt])).toEqual([
      [429, 1],
      [200, 2],
    ]);
  });

  it("honours Retry-After as an HTTP date", async () => {
    proxy.clear();
    const inTwoSeconds = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000).toUTCString();
    proxy.inject({ kind: "status", status: 429, retryAfter: inTwoSeconds }, 1, { path: /manifests\/v1$/ });
    const started = Date.now();
    await client([]).fetchManifest("v1");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("retries 503 with backoff until the registry recovers", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 503 }, 3, { method: "HEAD" });
    const events: RequestEvent[] = [];
    expect(await client(events).resolve("v1")).toEqual(manifest);
    expect(events.map((e) => e.status)).toEqual([503, 503, 503, 200]);
  });

  it("retries a connection cut in the middle of a manifest body", async () => {
    proxy.clear();
    proxy.inject({ kind: "cut", afterBytes: 20 }, 2, { method: "GET", path: /manifests/ });
    const events: RequestEvent[] = [];
    const fetched = await client(events).fetchManifest(manifest.digest);
    expect(fetched.descriptor).toEqual(manifest);
    expect(events.filter((e) => e.error !== undefined)).toHaveLength(2);
  });

  it("retries uploads whose bodies can be replayed", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 502 }, 1, { method: "PUT", path: /blobs\/uploads/ });
    proxy.inject({ kind: "status", status: 503 }, 1, { method: "PUT", path: /manifests/ });
    const artifact = await pushArtifact(client([]), { tag: "v2" });
    expect(await new RegistryClient(registry.host).repository("retry/app").resolve("v2")).toEqual(
      artifact.descriptor,
    );
    expect(proxy.requests.filter((r) => r.fault === "status")).toHaveLength(2);
  });

  it("does not retry 501, nor a 4xx", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 501 }, 5, { path: /manifests\/v1$/ });
    const events: RequestEvent[] = [];
    const error = await client(events)
      .fetchManifest("v1")
      .catch((e: unknown) => e);
    expect((error as RegistryError).status).toBe(501);
    expect(events).toHaveLength(1);
    proxy.clear();
    events.length = 0;
    await client(events)
      .fetchManifest("missing")
      .catch(() => {});
    expect(events).toHaveLength(1);
  });

  it("returns the last error once the attempts are used up, with the OCI code", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 429 }, 10, { path: /manifests\/v1$/ });
    const events: RequestEvent[] = [];
    const error = await client(events, { maxAttempts: 3 })
      .fetchManifest("v1")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(429);
    expect((error as RegistryError).codes).toEqual(["TOOMANYREQUESTS"]);
    expect(events).toHaveLength(3);
  });

  it("does not wait for a Retry-After beyond the allowed maximum", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 429, retryAfter: "3600" }, 1, { path: /manifests\/v1$/ });
    const events: RequestEvent[] = [];
    const error = await client(events)
      .fetchManifest("v1")
      .catch((e: unknown) => e);
    expect((error as RegistryError).status).toBe(429);
    expect(events).toHaveLength(1);
    proxy.clear();
  });

  it("retries refused connections, then reports a connection error", async () => {
    const events: RequestEvent[] = [];
    const closed = new RegistryClient("127.0.0.1:1", {
      onRequest: (e) => events.push(e),
      retry: { baseDelayMs: 1, maxAttempts: 3 },
    }).repository("retry/app");
    const error = await closed.fetchManifest("v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryConnectionError);
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.status === undefined && e.error !== undefined)).toBe(true);
  });

  it("times out a request that gets no answer", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const repo = new RegistryClient(`127.0.0.1:${port}`, {
        timeoutMs: 200,
        retry: { maxAttempts: 2, baseDelayMs: 1 },
      }).repository("retry/app");
      const error = await repo.fetchManifest("v1").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryConnectionError);
      expect((error as RegistryConnectionError).timedOut).toBe(true);
    } finally {
      silent.close();
    }
  });
});
