// `countersign copy <src> <dst> [--referrers] [--platform p]…`: an image, or an index (optionally
// filtered by platform), with its referrers and cosign tags, between registries and OCI layouts.
import { copy } from "../../../lib/oci/copy/copy.ts";
import { parsePlatform } from "../../../lib/oci/platform.ts";
import { COMMON_HELP, type Command, EXIT_OK, parseCommandArgs, UsageError } from "../command.ts";
import type { CliIo } from "../io.ts";
import { CopyProgressDisplay } from "../progress.ts";
import { sourceReference, TargetOpener } from "../targets.ts";

export const copyCommand: Command = {
  name: "copy",
  usage: `Usage: countersign copy <src> <dst> [--referrers] [--platform p]…

Copies the image (a manifest, or an index with all its manifests) named by <src> to <dst>, keeping
every digest: the bytes are pushed exactly as fetched. Blobs already at <dst> are skipped, blobs on
the same registry are mounted. <dst> gets <dst>'s tag, else <src>'s tag, else only the digest.
Prints the copied image as <dst>@<digest> on stdout, progress on stderr.

<src> and <dst> are registry references (registry/repo:tag, registry/repo@sha256:…) or OCI image
layouts (oci-layout:<dir>[:<tag>|@<digest>]).

Options:
  --referrers        also copy referrers (recursively) and cosign sha256-<hex>.{sig,att,sbom} tags
  --platform p       keep only this platform of an index (repeatable); the index then gets a new digest
  --concurrency n    transfers in flight at once (default 5)
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = {
      referrers: { type: "boolean" },
      platform: { type: "string", multiple: true },
      concurrency: { type: "string" },
    } as const;
    const parsed = parseCommandArgs(this, args, io, options, ["src", "dst"]);
    if (!parsed) return EXIT_OK;
    const platforms = (parsed.values.platform ?? []).map(parsePlatform);
    const concurrency = parseConcurrency(parsed.values.concurrency);
    return new TargetOpener({ plainHttp: parsed.values["plain-http"] === true, io }).use(async (opener) => {
      const source = await opener.open(parsed.positionals[0]!);
      const destination = await opener.open(parsed.positionals[1]!, { create: true });
      if (destination.digest) {
        throw new UsageError(
          `the destination cannot name a digest (${destination.display}): the copy decides it`,
        );
      }
      const tag = destination.tag ?? source.tag;
      const display = new CopyProgressDisplay(io.stderr);
      const result = await copy(source.target, await sourceReference(source), destination.target, {
        referrers: parsed.values.referrers === true,
        platforms,
        concurrency,
        onProgress: display.onProgress,
        onTransfer: display.onTransfer,
        ...(tag === undefined ? {} : { tag }),
      });
      display.finish(result);
      io.stdout.write(`${destination.target.name}@${result.descriptor.digest}\n`);
      return EXIT_OK;
    });
  },
};

function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return 5;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new UsageError(`--concurrency must be an integer from 1 to 64, got ${JSON.stringify(text)}`);
  }
  return value;
}
