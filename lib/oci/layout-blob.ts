// Blob content checked against its descriptor: a layout on disk is as untrusted as a registry (a
// truncated copy, a hand-edited file), so every read and write hashes what passes through.
import type { Descriptor } from "./descriptor.ts";
import { digestOf, parseDigest, toHex } from "./digest.ts";
import { DigestMismatchError, SizeMismatchError } from "./errors.ts";
import { Sha256 } from "./sha256.ts";

/** Throws unless `bytes` hash to `descriptor.digest` and have `descriptor.size` bytes. */
export async function verifyBytes(bytes: Uint8Array, descriptor: Descriptor, what: string): Promise<void> {
  const label = `${what} ${descriptor.digest}`;
  if (bytes.byteLength !== descriptor.size)
    throw new SizeMismatchError(label, descriptor.size, bytes.byteLength);
  const actual = await digestOf(bytes, parseDigest(descriptor.digest).algorithm);
  if (actual !== descriptor.digest) throw new DigestMismatchError(what, descriptor.digest, actual);
}

/**
 * Passes `stream` through, hashing as it goes: more bytes than the descriptor says error the stream at
 * once, a wrong digest or a short stream at the end, so a consumer writing it out never commits it.
 */
export function verifiedStream(
  stream: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
  what: string,
): ReadableStream<Uint8Array> {
  const label = `${what} ${descriptor.digest}`;
  const { algorithm } = parseDigest(descriptor.digest);
  // Sha256 is incremental; a (rare) sha512 blob is buffered and hashed whole by WebCrypto.
  const hash = algorithm === "sha256" ? new Sha256() : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > descriptor.size) throw new SizeMismatchError(label, descriptor.size, total);
        if (hash) hash.update(chunk);
        else chunks.push(chunk);
        controller.enqueue(chunk);
      },
      async flush() {
        if (total !== descriptor.size) throw new SizeMismatchError(label, descriptor.size, total);
        const actual = hash
          ? `sha256:${toHex(hash.digest())}`
          : await digestOf(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).bytes(), algorithm);
        if (actual !== descriptor.digest) throw new DigestMismatchError(what, descriptor.digest, actual);
      },
    }),
  );
}
