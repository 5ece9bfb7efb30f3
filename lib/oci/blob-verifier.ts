// Verifies content while it streams: counts bytes against the descriptor's size and hashes them, then
// fails the stream at the end (or as soon as it runs long) instead of handing back unverified bytes.
import type { Descriptor } from "./descriptor.ts";
import { digestOf, parseDigest, toHex } from "./digest.ts";
import { DigestMismatchError, SizeMismatchError } from "./errors.ts";
import { Sha256 } from "./sha256.ts";
import { concat } from "./transport.ts";

export function verifyingStream(
  descriptor: Descriptor,
  what: string,
): TransformStream<Uint8Array, Uint8Array> {
  const { algorithm } = parseDigest(descriptor.digest);
  const sha256 = algorithm === "sha256" ? new Sha256() : undefined;
  // Other registered algorithms (sha512) have no incremental implementation here: keep the bytes, which
  // the descriptor's size bounds, and hash them at the end.
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
