// CNCF distribution 2.8 rewrites a blob's per-repository link file in place on every upload of it: while
// many clients push the same blob at once (50 signers and the one cosign payload, the `{}` config every
// artifact shares), a manifest PUT that looks the blob up can read a half-written link and answer 400
// DIGEST_INVALID or MANIFEST_BLOB_UNKNOWN (measured here: 2 of 250 sign processes failed so). The blob is
// whole a moment later: wait, make sure every blob is there (pushing again what is not), PUT again.
import { RegistryError } from "../errors.ts";

const ATTEMPTS = 5;

export function isBlobRace(error: unknown): boolean {
  return (
    error instanceof RegistryError &&
    error.status === 400 &&
    (error.hasCode("MANIFEST_BLOB_UNKNOWN") ||
      error.hasCode("BLOB_UNKNOWN") ||
      error.hasCode("DIGEST_INVALID"))
  );
}

/** Runs `put`; after a blob race, waits (jittered, growing), runs `reassure` (blobs present?) and retries. */
export async function putAfterBlobRaces<T>(put: () => Promise<T>, reassure: () => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await put();
    } catch (error) {
      if (!isBlobRace(error) || attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, (50 + Math.random() * 100) * 2 ** attempt));
      await reassure();
    }
  }
}
