// Retries through a fault-injecting proxy in front of distribution 2.8: 429 with Retry-After (seconds and
// HTTP date), 503, cut connections; what happens when the faults outlast the retry budget; and uploads
// whose completion the registry applied but whose answer was lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { RegistryConnectionError, RegistryError } from "../../lib/oci/errors.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { RequestEvent } from "../../lib/oci/remote/transport.ts";
import { bytesDescriptor, pushArtifact } from "../support/registry/content.ts";
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
        timeouts: { firstByteMs: 200 },
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

describe("blob upload completion after an ambiguous failure", () => {
  const UPLOAD_PUT = { method: "PUT", path: /\/blobs\/uploads\// };

  async function freshBlob(): Promise<{ bytes: Uint8Array; descriptor: Descriptor }> {
    const bytes = crypto.getRandomValues(new Uint8Array(1500));
    return { bytes, descriptor: await bytesDescriptor(bytes, "application/octet-stream") };
  }

  async function storedOnRegistry(digest: string): Promise<boolean> {
    return new RegistryClient(registry.host).repository("retry/app").hasBlob(digest);
  }

  it("a lost answer to the closing PUT: the replay meets BLOB_UPLOAD_UNKNOWN, a HEAD finds the blob", async () => {
    proxy.clear();
    proxy.inject({ kind: "lost" }, 1, UPLOAD_PUT);
    const { bytes, descriptor } = await freshBlob();
    const events: RequestEvent[] = [];
    await client(events).pushBlob(descriptor, bytes, { knownAbsent: true });
    expect(await storedOnRegistry(descriptor.digest)).toBe(true);
    const completes = events.filter((e) => e.operation === "blob.upload.complete");
    // The first answer never came; the replay found the session closed by the commit.
    expect(completes.map((e) => e.status)).toEqual([undefined, 404]);
    expect(events.filter((e) => e.operation === "blob.head").map((e) => e.status)).toEqual([200]);
    // No second session: the blob was there.
    expect(
      events.filter((e) => e.operation.startsWith("blob.upload.st") || e.operation === "blob.upload.post"),
    ).toHaveLength(1);
  });

  it("a 500 after the registry committed: the same, no second upload", async () => {
    proxy.clear();
    proxy.inject({ kind: "status-after", status: 500 }, 1, UPLOAD_PUT);
    const { bytes, descriptor } = await freshBlob();
    const events: RequestEvent[] = [];
    await client(events).pushBlob(descriptor, bytes, { knownAbsent: true });
    expect(await storedOnRegistry(descriptor.digest)).toBe(true);
    expect(events.filter((e) => e.operation === "blob.upload.complete").map((e) => e.status)).toEqual([
      500, 404,
    ]);
  });

  it("a session the registry forgot before the blob landed: a new session uploads it", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 404, code: "BLOB_UPLOAD_UNKNOWN" }, 1, UPLOAD_PUT);
    const { bytes, descriptor } = await freshBlob();
    const events: RequestEvent[] = [];
    await client(events).pushBlob(descriptor, bytes, { knownAbsent: true });
    expect(await storedOnRegistry(descriptor.digest)).toBe(true);
    expect(events.filter((e) => e.operation === "blob.head").map((e) => e.status)).toEqual([404]);
    expect(events.filter((e) => e.operation === "blob.upload.complete").map((e) => e.status)).toEqual([
      404, 201,
    ]);
  });

  it("gives up after the second session too, with the registry's error", async () => {
    proxy.clear();
    proxy.inject({ kind: "status", status: 404, code: "BLOB_UPLOAD_UNKNOWN" }, 2, UPLOAD_PUT);
    const { bytes, descriptor } = await freshBlob();
    const error = await client([])
      .pushBlob(descriptor, bytes, { knownAbsent: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).codes).toEqual(["BLOB_UPLOAD_UNKNOWN"]);
    expect(await storedOnRegistry(descriptor.digest)).toBe(false);
  });
});

describe("manifest PUT after an ambiguous failure", () => {
  const PUT = { method: "PUT", path: /\/manifests\/v-landed/ };

  async function manifestBytes(): Promise<Uint8Array> {
    const repo = new RegistryClient(registry.host).repository("retry/app");
    const base = await repo.fetchManifest(manifest.digest);
    // A distinct manifest each time: same blobs, a fresh annotation.
    const parsed = JSON.parse(new TextDecoder().decode(base.bytes)) as Record<string, unknown>;
    parsed.annotations = { "org.example.nonce": crypto.randomUUID() };
    return new TextEncoder().encode(JSON.stringify(parsed));
  }

  it("every answer lost though the registry stored it: a HEAD finds it, the push succeeds", async () => {
    proxy.clear();
    proxy.inject({ kind: "lost" }, 2, PUT);
    const bytes = await manifestBytes();
    const events: RequestEvent[] = [];
    const pushed = await client(events, { maxAttempts: 2 }).pushManifest(
      bytes,
      manifest.mediaType,
      "v-landed",
    );
    expect(await new RegistryClient(registry.host).repository("retry/app").resolve("v-landed")).toEqual(
      pushed.descriptor,
    );
    expect(events.filter((e) => e.operation === "manifest.put").map((e) => e.status)).toEqual([
      undefined,
      undefined,
    ]);
    expect(events.filter((e) => e.operation === "manifest.head").map((e) => e.status)).toEqual([200]);
  });

  it("a 503 after the registry stored it, to the end of the retries: the same", async () => {
    proxy.clear();
    proxy.inject({ kind: "status-after", status: 503 }, 2, PUT);
    const bytes = await manifestBytes();
    await client([], { maxAttempts: 2 }).pushManifest(bytes, manifest.mediaType, "v-landed");
    const stored = await new RegistryClient(registry.host).repository("retry/app").fetchManifest("v-landed");
    expect(stored.bytes).toEqual(bytes);
  });

  it("a 503 before the registry saw it: the error stands, the tag still names the old manifest", async () => {
    proxy.clear();
    const before = await new RegistryClient(registry.host).repository("retry/app").resolve("v-landed");
    proxy.inject({ kind: "status", status: 503 }, 2, PUT);
    const error = await client([], { maxAttempts: 2 })
      .pushManifest(await manifestBytes(), manifest.mediaType, "v-landed")
      .catch((e: unknown) => e);
    expect((error as RegistryError).status).toBe(503);
    expect(await new RegistryClient(registry.host).repository("retry/app").resolve("v-landed")).toEqual(
      before,
    );
  });
});
