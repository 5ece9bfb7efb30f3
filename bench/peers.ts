// Countersign beside the real peers, one signature per format on each registry kind, on the same images
// in the same run: notary vs `notation sign`, cosign `.sig` vs `cosign sign --new-bundle-format=false`,
// bundle vs `cosign sign` (v3's default). Each process talks to the registry through a counting proxy,
// which gives registry requests per signature and the time from a process's first request to its last
// (wall time per signature without process start-up, the same yardstick for every tool), and the time
// to its last write: what is left after that is reading back (Countersign confirms that its entries in
// shared tags, the tag-schema index and cosign's .sig, survived concurrent writers; the peers do not).
//
//   node bench/peers.ts [--images 5]     (needs test/peers/install.sh, docker-registry, skopeo, umoci)
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type RegistryKind, RegistryKinds, startRegistryKind } from "../test/peers/registries.ts";
import { COSIGN_SIGN_OFFLINE, type PeerName, peer, ROOT } from "../test/peers/tools.ts";
import { buildImage, pushImage } from "../test/support/registry/images.ts";
import { countingProxy, median, type RequestWindow as Window } from "./load.ts";

const imagesArg = process.argv.indexOf("--images");
const imageCount = imagesArg > 0 ? Number(process.argv[imagesArg + 1]) : 5;

function run(file: string, args: readonly string[], env: Record<string, string>, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { cwd, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 120_000 },
      (error, _out, stderr) =>
        error ? reject(new Error(`${file} ${args.join(" ")}: ${stderr}`)) : resolve(),
    );
  });
}

const NODE = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/countersign.mjs");

interface Pair {
  readonly format: string;
  readonly ours: (ref: string) => [string, string[]];
  readonly theirs: (ref: string) => [string, string[]];
  readonly peerName: PeerName;
}

const cosignSign = ["sign", "--key", "peer.key", ...COSIGN_SIGN_OFFLINE];
const pairs: Pair[] = [
  {
    format: "notary",
    ours: (ref) => [NODE, [CLI, "sign", ref, "--key", "ours.pem", "--format", "notary", "--force"]],
    theirs: (ref) => [peer("notation"), ["sign", "--insecure-registry", ref]],
    peerName: "notation",
  },
  {
    format: "cosign",
    ours: (ref) => [NODE, [CLI, "sign", ref, "--key", "ours.pem", "--format", "cosign", "--force"]],
    theirs: (ref) => [peer("cosign-v3"), [...cosignSign, "--new-bundle-format=false", ref]],
    peerName: "cosign-v3",
  },
  {
    format: "bundle",
    ours: (ref) => [NODE, [CLI, "sign", ref, "--key", "ours.pem", "--format", "bundle", "--force"]],
    theirs: (ref) => [peer("cosign-v3"), [...cosignSign, ref]],
    peerName: "cosign-v3",
  },
];

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "countersign-bench-peers-"));
  const env: Record<string, string> = {
    HOME: work,
    DOCKER_CONFIG: join(work, "docker"),
    XDG_CONFIG_HOME: join(work, "xdg"),
    COSIGN_PASSWORD: "",
    PATH: `${dirname(NODE)}:${process.env.PATH}`,
  };
  await mkdir(join(work, "docker"));
  await writeFile(join(work, "docker", "config.json"), "{}");
  await run(NODE, [CLI, "keys", "generate", "--out", "ours.pem"], env, work);
  await run(peer("cosign-v3"), ["generate-key-pair", "--output-key-prefix", "peer"], env, work);
  await run(peer("notation"), ["cert", "generate-test", "--default", "bench"], env, work);
  const image = await buildImage({ layers: 1 });
  const rows: string[][] = [];
  try {
    for (const kind of RegistryKinds) rows.push(...(await benchKind(kind, image, env, work)));
  } finally {
    await image.cleanup();
    await rm(work, { recursive: true, force: true });
  }
  const header = [
    "registry",
    "format",
    "requests ours/peer",
    "ratio",
    "ms ours/peer (median)",
    "ratio",
    "ms to last write ours/peer",
    "ratio",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log(
    `Countersign vs the peers, one signature per format, ${imageCount} images, median per signature`,
  );
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
}

async function benchKind(
  kind: RegistryKind,
  image: Awaited<ReturnType<typeof buildImage>>,
  env: Record<string, string>,
  work: string,
): Promise<string[][]> {
  const registry = await startRegistryKind(kind);
  const proxy = await countingProxy(registry.host);
  const rows: string[][] = [];
  try {
    for (const pair of pairs) {
      const measured = { ours: [] as Window[], theirs: [] as Window[] };
      for (let i = 0; i < imageCount; i++) {
        for (const side of ["ours", "theirs"] as const) {
          // A fresh repository per image and side: each starts from the same state (image only).
          const repository = `bench/${pair.format}-${side}-${i}`;
          await pushImage(image.dir, `${registry.host}/${repository}:v1`, { tag: image.tag });
          const ref = `${proxy.host}/${repository}@${image.manifest.digest}`;
          proxy.reset();
          const [file, args] = pair[side](ref);
          await run(file, args, env, work);
          measured[side].push(proxy.window());
        }
      }
      const requests = (side: "ours" | "theirs") => median(measured[side].map((w) => w.requests));
      const ms = (side: "ours" | "theirs") => median(measured[side].map((w) => w.last - w.first));
      const toWrite = (side: "ours" | "theirs") => median(measured[side].map((w) => w.lastWrite - w.first));
      rows.push([
        kind,
        `${pair.format} vs ${pair.peerName}`,
        `${requests("ours")} / ${requests("theirs")}`,
        (requests("ours") / requests("theirs")).toFixed(2),
        `${ms("ours").toFixed(1)} / ${ms("theirs").toFixed(1)}`,
        (ms("ours") / ms("theirs")).toFixed(2),
        `${toWrite("ours").toFixed(1)} / ${toWrite("theirs").toFixed(1)}`,
        (toWrite("ours") / toWrite("theirs")).toFixed(2),
      ]);
    }
  } finally {
    await proxy.close();
    await registry.stop();
  }
  return rows;
}

await main();
