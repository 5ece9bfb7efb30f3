// Blob content checked against its descriptor: a layout on disk is as untrusted as a registry (a
// truncated copy, a hand-edited file), so every read and write hashes what passes through.

import { verifyingStream } from "../blob-verifier.ts";
import type { Descriptor } from "../descriptor.ts";
import { digestOf, parseDigest } from "../digest.ts";
import { DigestMismatchError, SizeMismatchError } from "../errors.ts";

/** Throws unless `bytes` hash to `descriptor.digest` and have `descriptor.size` bytes. */
export async function verifyBytes(bytes: Uint8Array, descriptor: Descriptor, what: string): Promise<void> {
  const label = `${what} ${descriptor.digest}`;
  if (bytes.byteLength !== descriptor.size)
    throw new SizeMismatchError(label, descriptor.size, bytes.byteLength);
  const actual = await digestOf(bytes, parseDigest(descriptor.digest).algorithm);
  if (actual !== descriptor.digest) throw new DigestMismatchError(what, descriptor.digest, actual);
}

/** Passes `stream` through, failing it when the content does not match `descriptor` (blob-verifier.ts). */
export function verifiedStream(
  stream: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
  what: string,
): ReadableStream<Uint8Array> {
  return stream.pipeThrough(verifyingStream(descriptor, `${what} ${descriptor.digest}`));
}
