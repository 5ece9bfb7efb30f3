import { describe, expect, it } from "vitest";
import { ManifestTooLargeError } from "../errors.ts";
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
