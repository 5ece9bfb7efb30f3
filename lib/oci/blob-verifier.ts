// Verifies content while it streams: counts bytes against the descriptor's size and hashes them, then
// fails the stream at the end (or as soon as it runs long) instead of handing back unverified bytes.
import { toHex } from "../encoding.ts";
import type { Descriptor } from "./descriptor.ts";
import { digestOf, parseDigest } from "./digest.ts";
import { DigestMismatchError, SizeMismatchError } from "./errors.ts";
import { concat } from "./remote/transport.ts";
import { streamingHashes } from "./streaming-hash.ts";

/** Blobs up to this size are hashed with WebCrypto in one call at the end of the stream. */
export const BUFFERED_HASH_LIMIT = 8 * 1024 * 1024;

export function verifyingStream(
  descriptor: Descriptor,
  what: string,
): TransformStream<Uint8Array, Uint8Array> {
  const { algorithm } = parseDigest(descriptor.digest);
  // Without the runtime's native hash, WebCrypto hashes about four times faster than lib's JavaScript
  // SHA-256 (bench/oci), so blobs up to BUFFERED_HASH_LIMIT are kept and hashed once at the end; larger
  // ones hash as they stream. An algorithm without a running hash is always kept, bounded by the size.
  const hashes = streamingHashes();
  const running =
    hashes.native || descriptor.size > BUFFERED_HASH_LIMIT ? hashes.create(algorithm) : undefined;
  const kept: Uint8Array[] = [];
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      if (total > descriptor.size) {
        controller.error(new SizeMismatchError(what, descriptor.size, total));
        return;
      }
      if (running !== undefined) running.update(chunk);
      else kept.push(chunk);
      controller.enqueue(chunk);
    },
    async flush(controller) {
      if (total !== descriptor.size) {
        controller.error(new SizeMismatchError(what, descriptor.size, total));
        return;
      }
      const actual =
        running !== undefined
          ? `${algorithm}:${toHex(await running.digest())}`
          : await digestOf(concat(kept, total), algorithm);
      if (actual !== descriptor.digest)
        controller.error(new DigestMismatchError(what, descriptor.digest, actual));
    },
  });
}
