// Checks on the descriptor being signed, shared by the builders: sign a digest, never a tag.
import type { Descriptor } from "../oci/descriptor.ts";
import { isSha256Digest } from "../oci/digest.ts";
import { SignatureBuildError } from "./errors.ts";

export function assertSubjectDescriptor(subject: Descriptor): void {
  assertSubjectDigest(subject.digest);
  if (!Number.isSafeInteger(subject.size) || subject.size < 0) {
    throw new SignatureBuildError(`subject size ${subject.size} is not a byte count`);
  }
  if (!subject.mediaType) throw new SignatureBuildError("subject has no mediaType");
}

export function assertSubjectDigest(digest: string): void {
  if (!isSha256Digest(digest))
    throw new SignatureBuildError(`subject digest ${digest} is not sha256:<64 hex>`);
}
