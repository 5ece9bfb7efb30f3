import { describe, expect, it } from "vitest";
import { BUFFERED_HASH_LIMIT, verifyingStream } from "./blob-verifier.ts";
import { digestOf } from "./digest.ts";
import { DigestMismatchError, SizeMismatchError } from "./errors.ts";

async function pipe(bytes: Uint8Array, digest: string, size = bytes.length): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 256 * 1024) {
        controller.enqueue(bytes.slice(offset, offset + 256 * 1024));
      }
      controller.close();
    },
  });
  const verified = source.pipeThrough(
    verifyingStream({ mediaType: "application/octet-stream", digest, size }, "blob"),
  );
  return new Uint8Array(await new Response(verified).arrayBuffer());
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536)
    crypto.getRandomValues(bytes.subarray(offset, offset + 65536));
  return bytes;
}

// Both hashing paths: small blobs are hashed with WebCrypto at the end, large ones incrementally.
describe.each([
  ["buffered (WebCrypto)", 1024 * 1024 + 7],
  ["incremental (streaming SHA-256)", BUFFERED_HASH_LIMIT + 4099],
])("verifyingStream, %s", (_, length) => {
  it("passes the exact bytes through when they hash to the digest", async () => {
    const bytes = randomBytes(length);
    expect(await pipe(bytes, await digestOf(bytes))).toEqual(bytes);
  });

  it("fails the stream when one byte differs", async () => {
    const bytes = randomBytes(length);
    const digest = await digestOf(bytes);
    bytes[length - 10]! ^= 1;
    await expect(pipe(bytes, digest)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it("fails the stream when the content is longer or shorter than the descriptor", async () => {
    const bytes = randomBytes(length);
    const digest = await digestOf(bytes);
    await expect(pipe(bytes, digest, length - 1)).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(pipe(bytes, digest, length + 1)).rejects.toBeInstanceOf(SizeMismatchError);
  });
});
