// workerd's native running hash for lib's blob verification (lib/oci/streaming-hash.ts):
// `crypto.DigestStream`, a WritableStream whose `digest` promise settles when it is closed.
import { installStreamingHash } from "../../lib/oci/streaming-hash.ts";

interface DigestStreamLike extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}

type DigestStreamConstructor = new (algorithm: string) => DigestStreamLike;

const Algorithms: Readonly<Record<string, string>> = { sha256: "SHA-256", sha512: "SHA-512" };

export function installWorkersStreamingHash(): void {
  const DigestStream = (crypto as unknown as { DigestStream?: DigestStreamConstructor }).DigestStream;
  if (DigestStream === undefined) return;
  installStreamingHash({
    native: true,
    create(algorithm) {
      const name = Algorithms[algorithm];
      if (name === undefined) return undefined;
      const stream = new DigestStream(name);
      const writer = stream.getWriter();
      // Writes queue in order; the digest waits for all of them.
      let failed: unknown;
      return {
        update: (chunk) => {
          // A copy: the same chunk goes on downstream, and a sink may take ownership of what it is given.
          writer.write(new Uint8Array(chunk)).catch((error: unknown) => {
            failed ??= error;
          });
        },
        digest: async () => {
          await writer.close();
          if (failed !== undefined) throw failed;
          return new Uint8Array(await stream.digest);
        },
      };
    },
  });
}
