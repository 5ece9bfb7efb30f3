import { describe, expect, it } from "vitest";
import { ManifestTooLargeError, RegistryConnectionError } from "../errors.ts";
import { RegistryClient } from "./registry.ts";

/** A fetch that answers every request with `body` as a stream, without Content-Length. */
function streamingFetch(body: Uint8Array, headers: Record<string, string> = {}): typeof fetch {
  return (async () =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < body.length; i += 1000) controller.enqueue(body.slice(i, i + 1000));
          controller.close();
        },
      }),
      { status: 200, headers: { "content-type": "application/vnd.oci.image.manifest.v1+json", ...headers } },
    )) as typeof fetch;
}

describe("manifest size cap", () => {
  it("stops reading a body without Content-Length once it passes the limit", async () => {
    const body = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, pad: "x".repeat(10_000) }));
    const repo = new RegistryClient("registry.test", {
      fetch: streamingFetch(body),
      limits: { manifestBytes: 4096 },
    }).repository("a");
    const error = await repo.fetchManifest("v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestTooLargeError);
    expect((error as ManifestTooLargeError).size).toBeUndefined();
    expect((error as Error).message).toMatch(/more than 4096 bytes exceeds the 4096-byte limit/);
  });

  it("refuses up front when Content-Length is above the limit", async () => {
    let read = false;
    const fetcher = (async () =>
      new Response(
        new ReadableStream(
          {
            pull() {
              read = true;
            },
          },
          { highWaterMark: 0 },
        ),
        { status: 200, headers: { "content-length": String(5 * 1024 * 1024) } },
      )) as typeof fetch;
    const repo = new RegistryClient("registry.test", { fetch: fetcher }).repository("a");
    const error = await repo.fetchManifest("v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestTooLargeError);
    expect((error as ManifestTooLargeError).size).toBe(5 * 1024 * 1024);
    expect(read).toBe(false);
  });

  it("uses HTTPS for registries that are not loopback, plain HTTP for loopback", () => {
    expect(new RegistryClient("ghcr.io").baseUrl).toBe("https://ghcr.io");
    expect(new RegistryClient("docker.io").baseUrl).toBe("https://registry-1.docker.io");
    expect(new RegistryClient("127.0.0.1:5000").baseUrl).toBe("http://127.0.0.1:5000");
    expect(new RegistryClient("localhost:5000").baseUrl).toBe("http://localhost:5000");
    expect(new RegistryClient("[::1]:5000").baseUrl).toBe("http://[::1]:5000");
    expect(new RegistryClient("127.0.0.1:5000", { plainHttp: false }).baseUrl).toBe("https://127.0.0.1:5000");
    expect(new RegistryClient("10.0.0.1:5000").baseUrl).toBe("https://10.0.0.1:5000");
  });
});

describe("failures, deadlines and redirects", () => {
  const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

  it("takes whatever fetch throws for a lost connection (workerd's plain Error too) and retries it", async () => {
    let calls = 0;
    const lost = (async () => {
      calls++;
      throw new Error("Network connection lost.");
    }) as typeof fetch;
    const repo = new RegistryClient("registry.test", { fetch: lost, retry: fast }).repository("a");
    const error = await repo.fetchManifest("v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryConnectionError);
    expect((error as Error).cause).toMatchObject({ message: "Network connection lost." });
    expect(calls).toBe(3);
  });

  it("a signal bound to the repository aborts its requests at once, with the signal's reason, and no retry", async () => {
    let calls = 0;
    const silent = ((_input: unknown, init?: RequestInit) => {
      calls++;
      return new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      );
    }) as typeof fetch;
    const controller = new AbortController();
    const repo = new RegistryClient("registry.test", { fetch: silent, retry: fast }).repository("a", {
      signal: controller.signal,
    });
    const pending = repo.fetchManifest("v1").catch((e: unknown) => e);
    const reason = new Error("the attempt passed its deadline");
    setTimeout(() => controller.abort(reason), 20);
    expect(await pending).toBe(reason);
    expect(calls).toBe(1);
  });

  it("a body that goes silent errors after idleMs instead of hanging", async () => {
    const stalled = (async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new Uint8Array([1, 2, 3]));
          },
        }),
        { status: 200, headers: { "content-length": "10" } },
      )) as typeof fetch;
    const repo = new RegistryClient("registry.test", {
      fetch: stalled,
      retry: { ...fast, maxAttempts: 1 },
      timeouts: { idleMs: 50 },
      limits: { blobResumes: 0 },
    }).repository("a");
    const stream = await repo.fetchBlob({
      mediaType: "application/octet-stream",
      digest: `sha256:${"a".repeat(64)}`,
      size: 10,
    });
    const started = Date.now();
    const error = await new Response(stream).arrayBuffer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryConnectionError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("follows at most five redirects on the registry's origin, and a 303 as a GET without the body", async () => {
    const seen: string[] = [];
    const redirecting = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      seen.push(`${init?.method} ${url.pathname} ${init?.body === undefined ? "" : "body"}`);
      if (url.pathname.endsWith("/loop")) {
        return new Response(null, { status: 307, headers: { location: "/v2/a/manifests/loop" } });
      }
      if (init?.method === "PUT")
        return new Response(null, { status: 303, headers: { location: "/v2/a/done" } });
      return new Response(null, { status: 201, headers: {} });
    }) as typeof fetch;
    const repo = new RegistryClient("registry.test", { fetch: redirecting, retry: fast }).repository("a");
    const error = await repo.fetchManifest("loop").catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/more than 5 redirects/);
    expect(seen.filter((s) => s.includes("/loop"))).toHaveLength(6);
    seen.length = 0;
    await repo.pushManifest(
      new TextEncoder().encode("{}"),
      "application/vnd.oci.image.manifest.v1+json",
      "v1",
    );
    expect(seen).toEqual(["PUT /v2/a/manifests/v1 body", "GET /v2/a/done "]);
  });
});
