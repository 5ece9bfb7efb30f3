// `countersign manifest get <ref> [--platform os/arch[/variant]]`: the manifest's bytes exactly as
// stored (verified against their digest), so that `| sha256sum` gives the digest.
import { isImageIndex } from "../../../lib/oci/manifest-schema.ts";
import { parsePlatform, selectPlatform } from "../../../lib/oci/platform.ts";
import { COMMON_HELP, type Command, EXIT_OK, parseCommandArgs } from "../command.ts";
import type { CliIo } from "../io.ts";
import { sourceReference, TargetOpener } from "../targets.ts";

export const manifestGet: Command = {
  name: "manifest get",
  usage: `Usage: countersign manifest get <ref> [--platform os/arch[/variant]]

Prints the manifest (or index) named by <ref>, byte for byte, after checking it against its digest.
With --platform, an index is resolved to the manifest of that platform.

<ref> is a registry reference (registry/repo:tag, registry/repo@sha256:…) or an OCI image layout
(oci-layout:<dir>[:<tag>|@<digest>]).

Options:
  --platform p   select this platform's manifest from an index (linux/amd64, linux/arm64/v8)
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommandArgs(this, args, io, { platform: { type: "string" } }, ["ref"]);
    if (!parsed) return EXIT_OK;
    const platform = parsed.values.platform === undefined ? undefined : parsePlatform(parsed.values.platform);
    return new TargetOpener({ plainHttp: parsed.values["plain-http"] === true, io }).use(async (opener) => {
      const opened = await opener.open(parsed.positionals[0]!);
      let fetched = await opened.target.fetchManifest(await sourceReference(opened));
      if (platform) {
        // A single-platform manifest is already the answer (as `docker manifest inspect` treats it).
        if (isImageIndex(fetched.manifest)) {
          const chosen = selectPlatform(fetched.manifest, platform);
          fetched = await opened.target.fetchManifest(chosen.digest);
        }
      }
      io.stdout.write(fetched.bytes);
      return EXIT_OK;
    });
  },
};
