// Blobs against a real distribution 2.8 registry: the upload paths (single request where possible,
// POST+PUT, chunked PATCH, streams), cross-repository mount and its fallback, and streaming reads that
// resume after a cut connection and fail on altered bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPooledFetch } from "../../functions/node/fetch.ts";
import { digestOf } from "../../lib/oci/digest.ts";
import { DigestMismatchError, RegistryError, SizeMismatchError } from "../../lib/oci/errors.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { bytesDescriptor, RequestCounter } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";

let registry: RunningRegistry;
let proxy: FaultProxy;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

function random(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(size, i + 65536)));
  return out;
}

/** Byte comparison without the deep-equality machinery, which is slow on large arrays. */
function expectSame(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function streamOf(bytes: Uint8Array, pieceSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + pieceSize));
      offset += pieceSize;
    },
  });
}

describe("blob uploads", () => {
  it("learns that distribution 2.8 answers a monolithic POST with 202, then uses POST+PUT", async () => {
    const counter = new RequestCounter();
    const client = new RegistryClient(registry.host, { onRequest: counter.listener });
    const repo = client.repository("blobs/small");
    const first = random(1000);
    const d1 = await bytesDescriptor(first, "application/octet-stream");
    await repo.pushBlob(d1, first);
    expect(client.capabilities.singlePostUpload).toBe(false);
    expect(counter.count("blob.upload.post")).toBe(1);
    expect(counter.count("blob.upload.complete")).toBe(1);
    counter.reset();
    const second = random(1000);
    await repo.pushBlob(await bytesDescriptor(second, "application/octet-stream"), second);
    expect(counter.count("blob.upload.post")).toBe(0);
    expect(counter.count("blob.upload.start")).toBe(1);
    expect(counter.count("blob.upload.complete")).toBe(1);
    expectSame(await readAll(await repo.fetchBlob(d1)), first);
  });

  it("skips blobs that are present (one HEAD, no upload), and asks no more once it has seen them", async () => {
    const counter = new RequestCounter();
    const repo = new RegistryClient(registry.host, { onRequest: counter.listener }).repository("blobs/small");
    const bytes = random(500);
    const d = await bytesDescriptor(bytes, "application/octet-stream");
    await new RegistryClient(registry.host).repository("blobs/small").pushBlob(d, bytes);
    await repo.pushBlob(d, bytes);
    expect([...counter.byOperation]).toEqual([["blob.head", 1]]);
    counter.reset();
    await repo.pushBlob(d, bytes);
    expect([...counter.byOperation]).toEqual([]);
    expect(await repo.hasBlob(d.digest)).toBe(true);
    expect(await repo.hasBlob(`sha256:${"1".repeat(64)}`)).toBe(false);
  });

  it("uploads large blobs in PATCH chunks, the last riding in the closing PUT", async () => {
    const counter = new RequestCounter();
    const repo = new RegistryClient(registry.host, {
      onRequest: counter.listener,
      limits: { chunkBytes: 64 * 1024, monolithicBytes: 64 * 1024 },
    }).repository("blobs/large");
    const bytes = random(300 * 1024); // 4 full chunks + 44 KiB
    const d = await bytesDescriptor(bytes, "application/octet-stream");
    await repo.pushBlob(d, bytes);
    expect(counter.count("blob.upload.chunk")).toBe(4);
    expect(counter.count("blob.upload.complete")).toBe(1);
    expectSame(await readAll(await repo.fetchBlob(d)), bytes);
  });

  it("uploads a stream, re-blocking small pieces into chunks", async () => {
    const counter = new RequestCounter();
    const repo = new RegistryClient(registry.host, {
      onRequest: counter.listener,
      limits: { chunkBytes: 100 * 1024, monolithicBytes: 100 * 1024 },
    }).repository("blobs/stream");
    const bytes = random(250 * 1024);
    const d = await bytesDescriptor(bytes, "application/octet-stream");
    await repo.pushBlob(d, streamOf(bytes, 4096));
    expect(counter.count("blob.upload.chunk")).toBe(2);
    expectSame(await readAll(await repo.fetchBlob(d)), bytes);
    // A stream that fits one chunk costs POST + PUT only.
    counter.reset();
    const small = random(5000);
    await repo.pushBlob(await bytesDescriptor(small, "application/octet-stream"), streamOf(small, 1000));
    expect(counter.count("blob.upload.chunk")).toBe(0);
    expect(counter.count("blob.upload.complete")).toBe(1);
  });

  it("streams a blob larger than a chunk in one PUT (POST + PUT), holding no chunk", async () => {
    const counter = new RequestCounter();
    const repo = new RegistryClient(registry.host, {
      onRequest: counter.listener,
      limits: { chunkBytes: 64 * 1024 },
    }).repository("blobs/monolithic");
    const bytes = random(1024 * 1024 + 7);
    const d = await bytesDescriptor(bytes, "application/octet-stream");
    await repo.pushBlob(d, streamOf(bytes, 10_000), { knownAbsent: true });
    expect([...counter.byOperation]).toEqual([
      ["blob.upload.start", 1],
      ["blob.upload.complete", 1],
    ]);
    expectSame(await readAll(await repo.fetchBlob(d)), bytes);
  });

  it("refuses content whose size or digest does not match the descriptor", async () => {
    const repo = new RegistryClient(registry.host).repository("blobs/bad");
    const bytes = random(100);
    const d = await bytesDescriptor(bytes, "application/octet-stream");
    await expect(repo.pushBlob({ ...d, size: 99 }, bytes)).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(repo.pushBlob({ ...d, size: 101 }, streamOf(bytes, 10))).rejects.toBeInstanceOf(
      SizeMismatchError,
    );
    const wrongDigest = { ...d, digest: await digestOf(random(100)) };
    const error = await repo.pushBlob(wrongDigest, bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).codes).toContain("DIGEST_INVALID");
    expect(await repo.hasBlob(wrongDigest.digest)).toBe(false);
  });

  it("mounts across repositories in one request, and uploads when the source lacks the blob", async () => {
    const counter = new RequestCounter();
    const client = new RegistryClient(registry.host, { onRequest: counter.listener });
    const source = client.repository("blobs/source");
    const bytes = random(2000);
    const d = await bytesDescriptor(bytes, "application/octet-stream");
    await source.pushBlob(d, bytes);
    counter.reset();
    const target = client.repository("blobs/target");
    await target.pushBlob(d, bytes, { mountFrom: "blobs/source" });
    expect([...counter.byOperation]).toEqual([["blob.mount", 1]]);
    expect(await target.hasBlob(d.digest)).toBe(true);

    // Not in the source: the 202 session is used for the upload.
    counter.reset();
    const other = random(2000);
    const od = await bytesDescriptor(other, "application/octet-stream");
    await target.pushBlob(od, other, { mountFrom: "blobs/empty-source" });
    expect(counter.count("blob.mount")).toBe(1);
    expect(counter.count("blob.upload.start") + counter.count("blob.upload.post")).toBe(0);
    expect(counter.count("blob.upload.complete")).toBe(1);
    expectSame(await readAll(await target.fetchBlob(od)), other);

    expect(await client.repository("blobs/third").mountBlob(d, "blobs/source")).toBe(true);
    expect(await client.repository("blobs/fourth").mountBlob(od, "blobs/nowhere")).toBe(false);
  });
});

describe("with the pooled Node fetch", () => {
  it("uploads streams in chunks and downloads over kept-alive connections", async () => {
    const pooled = createPooledFetch({ connectionsPerOrigin: 2 });
    try {
      const repo = new RegistryClient(registry.host, {
        fetch: pooled.fetch,
        limits: { chunkBytes: 64 * 1024, monolithicBytes: 64 * 1024 },
      }).repository("blobs/pooled");
      const bytes = random(200 * 1024);
      const d = await bytesDescriptor(bytes, "application/octet-stream");
      await repo.pushBlob(d, streamOf(bytes, 10_000));
      expectSame(await readAll(await repo.fetchBlob(d)), bytes);
      const small = random(100);
      const sd = await bytesDescriptor(small, "application/octet-stream");
      await Promise.all([repo.pushBlob(sd, small), repo.pushBlob(sd, small), repo.pushBlob(sd, small)]);
      expectSame(await repo.fetchBlobBytes(sd), small);
    } finally {
      await pooled.close();
    }
  });
});

describe("blob downloads", () => {
  let descriptor: Awaited<ReturnType<typeof bytesDescriptor>>;
  let bytes: Uint8Array;

  beforeAll(async () => {
    bytes = random(512 * 1024);
    descriptor = await bytesDescriptor(bytes, "application/octet-stream");
    await new RegistryClient(registry.host).repository("blobs/download").pushBlob(descriptor, bytes);
  });

  it("resumes with Range after the connection is cut mid-body, twice", async () => {
    const counter = new RequestCounter();
    const repo = new RegistryClient(proxy.host, { onRequest: counter.listener }).repository("blobs/download");
    proxy.clear();
    proxy.inject({ kind: "cut", afterBytes: 100_000 }, 1, { method: "GET", path: /\/blobs\/sha256:/ });
    proxy.inject({ kind: "cut", afterBytes: 150_000 }, 1, { method: "GET", path: /\/blobs\/sha256:/ });
    expectSame(await readAll(await repo.fetchBlob(descriptor)), bytes);
    expect(counter.count("blob.get")).toBe(1);
    expect(counter.count("blob.get.resume")).toBe(2);
    const ranges = proxy.requests.filter((r) => r.method === "GET").map((r) => r.headers.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(ranges[1] ?? "")?.[1])).toBeGreaterThan(0);
  });

  it("gives up after the allowed number of resumes", async () => {
    const repo = new RegistryClient(proxy.host, { limits: { blobResumes: 1 } }).repository("blobs/download");
    proxy.clear();
    proxy.inject({ kind: "cut", afterBytes: 10_000 }, 3, { method: "GET", path: /\/blobs\/sha256:/ });
    await expect(readAll(await repo.fetchBlob(descriptor))).rejects.toThrow(/blob\.get/);
    proxy.clear();
  });

  it("fails the stream when the content does not hash to the digest", async () => {
    const repo = new RegistryClient(proxy.host).repository("blobs/download");
    proxy.clear();
    proxy.inject({ kind: "corrupt" }, 1, { method: "GET", path: /\/blobs\/sha256:/ });
    const error = await readAll(await repo.fetchBlob(descriptor)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as DigestMismatchError).expected).toBe(descriptor.digest);
  });

  it("fails the stream when the blob is longer or shorter than its descriptor", async () => {
    const repo = new RegistryClient(registry.host).repository("blobs/download");
    await expect(
      readAll(await repo.fetchBlob({ ...descriptor, size: bytes.length - 1 })),
    ).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(repo.fetchBlobBytes(descriptor, 1000)).rejects.toThrow(/limit/);
    expectSame(await repo.fetchBlobBytes(descriptor), bytes);
  });
});
