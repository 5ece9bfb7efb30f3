// `countersign discover <ref> [--artifact-type T] [--json]`: what refers to an image (referrers API,
// else the tag-schema fallback index; in a layout, its index.json and fallback tags), recursively.
import type { Descriptor } from "../../../lib/oci/descriptor.ts";
import type { Target } from "../../../lib/oci/target.ts";
import { COMMON_HELP, type Command, EXIT_OK, parseCommandArgs } from "../command.ts";
import type { CliIo } from "../io.ts";
import { sourceReference, TargetOpener } from "../targets.ts";

/** Signatures of signatures exist (countersignatures, attestations on SBOMs); deeper is a loop or abuse. */
const MAX_DEPTH = 8;

interface ReferrerNode extends Descriptor {
  readonly referrers: readonly ReferrerNode[];
}

export const discover: Command = {
  name: "discover",
  summary: "list the referrers of an image (signatures, SBOMs, attestations)",
  usage: `Usage: countersign discover <ref> [--artifact-type T] [--json]

Lists the manifests whose subject is <ref>, and theirs in turn, as a tree (or JSON with --json).
Uses the registry's referrers API, or the tag-schema fallback index (tag sha256-<hex>) where there is
none; in an OCI image layout, the manifests its index.json lists and its fallback indexes.

Options:
  --artifact-type T   only referrers of this artifact type (first level)
  --json              print {"subject": …, "referrers": [{…descriptor, "referrers": […]}]}
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = { "artifact-type": { type: "string" }, json: { type: "boolean" } } as const;
    const parsed = parseCommandArgs(this, args, io, options, ["ref"]);
    if (!parsed) return EXIT_OK;
    return new TargetOpener({ plainHttp: parsed.values["plain-http"] === true, io }).use(async (opener) => {
      const opened = await opener.open(parsed.positionals[0]!);
      const subject = await opened.target.resolve(await sourceReference(opened));
      const referrers = await walk(
        opened.target,
        subject,
        parsed.values["artifact-type"],
        new Set([subject.digest]),
        1,
      );
      const name = `${opened.target.name}@${subject.digest}`;
      if (parsed.values.json) {
        io.stdout.write(`${JSON.stringify({ subject, reference: name, referrers }, null, 2)}\n`);
      } else {
        io.stdout.write(`${name}\n${renderTree(referrers, "")}`);
      }
      return EXIT_OK;
    });
  },
};

async function walk(
  target: Target,
  subject: Descriptor,
  artifactType: string | undefined,
  seen: Set<string>,
  depth: number,
): Promise<ReferrerNode[]> {
  const found = await target.referrers(subject, artifactType);
  const nodes: ReferrerNode[] = [];
  for (const referrer of found) {
    const fresh = !seen.has(referrer.digest) && depth < MAX_DEPTH;
    seen.add(referrer.digest);
    nodes.push({
      ...referrer,
      referrers: fresh ? await walk(target, referrer, undefined, seen, depth + 1) : [],
    });
  }
  return nodes;
}

function renderTree(nodes: readonly ReferrerNode[], indent: string): string {
  return nodes
    .map((node, i) => {
      const last = i === nodes.length - 1;
      const line = `${indent}${last ? "└── " : "├── "}${node.artifactType ?? node.mediaType} ${node.digest}\n`;
      return line + renderTree(node.referrers, `${indent}${last ? "    " : "│   "}`);
    })
    .join("");
}
