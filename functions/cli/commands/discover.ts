// `countersign discover <ref> [--artifact-type T] [--json]`: what refers to an image (referrers API,
// else the tag-schema fallback index; in a layout, its index.json and fallback tags), recursively.
import { COSIGN_TAG_SUFFIXES } from "../../../lib/oci/copy/copy.ts";
import type { Descriptor } from "../../../lib/oci/descriptor.ts";
import { parseDigest } from "../../../lib/oci/digest.ts";
import type { Target } from "../../../lib/oci/target.ts";
import { COMMON_HELP, type Command, EXIT_OK, parseCommandArgs } from "../command.ts";
import type { CliIo } from "../io.ts";
import { sourceReference, TargetOpener } from "../targets.ts";

/** Signatures of signatures exist (countersignatures, attestations on SBOMs); deeper is a loop or abuse. */
const MAX_DEPTH = 8;

interface ReferrerNode extends Descriptor {
  /** Set for cosign's `sha256-<hex>.sig` (`.att`, `.sbom`) tags: found by name, not by `subject`. */
  readonly tag?: string;
  readonly referrers: readonly ReferrerNode[];
}

export const discover: Command = {
  name: "discover",
  usage: `Usage: countersign discover <ref> [--artifact-type T] [--json]

Lists what is attached to <ref>, and to those in turn, as a tree (or JSON with --json): the manifests
whose subject is <ref> (the registry's referrers API, or the tag-schema fallback index, tag
sha256-<hex>, where there is none; in an OCI image layout, its index.json and fallback indexes), and
cosign's sha256-<hex>.sig, .att and .sbom tags, which name the image instead of referring to it.

Options:
  --artifact-type T   only referrers of this artifact type (first level; cosign tags are left out)
  --json              print {"subject": …, "referrers": [{…descriptor, "tag"?, "referrers": […]}]}
${COMMON_HELP}`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const options = { "artifact-type": { type: "string" }, json: { type: "boolean" } } as const;
    const parsed = parseCommandArgs(this, args, io, options, ["ref"]);
    if (!parsed) return EXIT_OK;
    return new TargetOpener({ plainHttp: parsed.values["plain-http"] === true, io }).use(async (opener) => {
      const opened = await opener.open(parsed.positionals[0]!);
      const subject = await opened.target.resolve(await sourceReference(opened));
      const walker = new ReferrerWalker(opened.target);
      const referrers = await walker.walk(
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

class ReferrerWalker {
  readonly #target: Target;
  #tags: Promise<Set<string>> | undefined;

  constructor(target: Target) {
    this.#target = target;
  }

  async walk(
    subject: Descriptor,
    artifactType: string | undefined,
    seen: Set<string>,
    depth: number,
  ): Promise<ReferrerNode[]> {
    const [found, tagged] = await Promise.all([
      this.#target.referrers(subject, artifactType),
      artifactType === undefined ? this.#cosignTags(subject.digest) : [],
    ]);
    const nodes: ReferrerNode[] = [];
    for (const referrer of found) {
      const fresh = !seen.has(referrer.digest) && depth < MAX_DEPTH;
      seen.add(referrer.digest);
      nodes.push({
        ...referrer,
        referrers: fresh ? await this.walk(referrer, undefined, seen, depth + 1) : [],
      });
    }
    return [...nodes, ...tagged];
  }

  /** cosign's tags beside `digest`, the way copy finds them: from one listing of the repository's tags. */
  async #cosignTags(digest: string): Promise<ReferrerNode[]> {
    const { algorithm, encoded } = parseDigest(digest);
    this.#tags ??= this.#target.tags().then((tags) => new Set(tags));
    const tags = await this.#tags;
    const present = COSIGN_TAG_SUFFIXES.map((suffix) => `${algorithm}-${encoded}.${suffix}`).filter((tag) =>
      tags.has(tag),
    );
    return Promise.all(
      present.map(async (tag) => ({ ...(await this.#target.resolve(tag)), tag, referrers: [] })),
    );
  }
}

function renderTree(nodes: readonly ReferrerNode[], indent: string): string {
  return nodes
    .map((node, i) => {
      const last = i === nodes.length - 1;
      const what =
        node.tag === undefined ? (node.artifactType ?? node.mediaType) : `${node.tag} (cosign tag)`;
      const line = `${indent}${last ? "└── " : "├── "}${what} ${node.digest}\n`;
      return line + renderTree(node.referrers, `${indent}${last ? "    " : "│   "}`);
    })
    .join("");
}
