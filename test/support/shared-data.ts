// Where the conformance data lives: real cosign, notation and sigstore signatures (vectors/), the OCI
// image-spec JSON schemas (spec/image-spec-schema/) and captured webhooks. It is not in this repository:
// it is the shared/ folder beside the checkout, or the folder COUNTERSIGN_SHARED names. A suite that
// needs it and cannot find it fails with one line saying what is missing and how to provide it.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const BESIDE = resolve(import.meta.dirname, "../../../shared");

export const sharedRoot =
  process.env.COUNTERSIGN_SHARED !== undefined && process.env.COUNTERSIGN_SHARED !== ""
    ? resolve(process.env.COUNTERSIGN_SHARED)
    : BESIDE;

export class SharedDataMissingError extends Error {
  override readonly name = "SharedDataMissingError";
  constructor(path: string) {
    const where =
      sharedRoot === BESIDE
        ? `put the shared/ folder beside the checkout (${BESIDE}) or set COUNTERSIGN_SHARED to its path`
        : `COUNTERSIGN_SHARED is ${sharedRoot}; set it to the shared/ folder's path`;
    super(`conformance data missing: ${path} (${where})`);
    // One line: the stack would only say which test asked, which the runner says already.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** The absolute path of `parts` inside the shared folder; throws SharedDataMissingError when absent. */
export function sharedPath(...parts: string[]): string {
  const full = join(sharedRoot, ...parts);
  if (!existsSync(full)) throw new SharedDataMissingError(full);
  return full;
}
