// Verifies content while it streams: counts bytes against the descriptor's size and hashes them, then
// fails the stream at the end (or as soon as it runs long) instead of handing back unverified bytes.
import { toHex } from "../encoding.ts";
import type { Descriptor } from "./descriptor.ts";
import { digestOf, parseDigest } from "./digest.ts";
import { DigestMismatchError, SizeMismatchError } from "./errors.ts";
import { concat } from "./remote/transport.ts";
import { Sha256 } from "./sha256.ts";

/** Blobs up to this size are hashed with WebCrypto in one call at the end of the stream. */
export const BUFFERED_HASH_LIMIT = 8 * 1024 * 1024;

export function verifyingStream(
  descriptor: Descriptor,
  what: string,
): TransformStream<Uint8Array, Uint8Array> {
  const { algorithm } = parseDigest(descriptor.digest);
  // WebCrypto hashes about four times faster than the incremental JS SHA-256 (bench/oci), so blobs up
  // to BUFFERED_HASH_LIMIT are kept and hashed once at the end; larger ones hash as they stream. Other
  // registered algorithms (sha512) have no incremental implementation here: always kept, bounded by
  // the descriptor's size.
  const sha256 = algorithm === "sha256" && descriptor.size > BUFFERED_HASH_LIMIT ? new Sha256() : undefined;
  const kept: Uint8Array[] = [];
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      if (total > descriptor.size) {
        controller.error(new SizeMismatchError(what, descriptor.size, total));
        return;
      }
      if (sha256 !== undefined) sha256.update(chunk);
      else kept.push(chunk);
      controller.enqueue(chunk);
    },
    async flush(controller) {
      if (total !== descriptor.size) {
        controller.error(new SizeMismatchError(what, descriptor.size, total));
        return;
      }
      const actual =
        sha256 !== undefined
          ? `sha256:${toHex(sha256.digest())}`
          : await digestOf(concat(kept, total), algorithm);
      if (actual !== descriptor.digest)
        controller.error(new DigestMismatchError(what, descriptor.digest, actual));
    },
  });
}
