// A running SHA-256 for blobs verified while they stream. WebCrypto hashes whole buffers only, so lib
// carries a JavaScript one (sha256.ts, about 225 MB/s); each runtime installs its native hash instead at
// start-up (node:crypto in Node and Lambda, about 1.8 GB/s; crypto.DigestStream in Workers): lib itself
// imports no runtime.
import { Sha256 } from "./sha256.ts";

export interface StreamingHash {
  update(chunk: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

export interface StreamingHashFactory {
  /** A running hash of `algorithm` ("sha256"), or undefined when this implementation has none. */
  create(algorithm: string): StreamingHash | undefined;
  /** Native: fast enough to hash small blobs as they stream too (no buffering for one WebCrypto call). */
  readonly native: boolean;
}

const javascript: StreamingHashFactory = {
  native: false,
  create(algorithm) {
    if (algorithm !== "sha256") return undefined;
    const hash = new Sha256();
    return {
      update: (chunk) => {
        hash.update(chunk);
      },
      digest: async () => hash.digest(),
    };
  },
};

let installed: StreamingHashFactory = javascript;

/** Called once by a runtime adapter at start-up. */
export function installStreamingHash(factory: StreamingHashFactory): void {
  installed = factory;
}

export function streamingHashes(): StreamingHashFactory {
  return installed;
}
