// `countersign copy` between two registries against `skopeo copy` on the same image in the same run: a
// 1 GiB image (four 256 MiB uncompressed layers of random bytes) from one distribution 2.8 to another,
// each tool to a registry of its own. Wall time, peak RSS (GNU time's %M, the countersign figure also
// less an idle `countersign copy --help`), and requests at the destination (a counting proxy).
//
//   node bench/copy.ts [--layers 4] [--layer-mib 256] [--runs 3]
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { ROOT } from "../test/peers/tools.ts";
import { startRegistry } from "../test/support/registry/distribution.ts";
import { countingProxy, median } from "./load.ts";

const { values } = parseArgs({
  options: {
    layers: { type: "string", default: "4" },
    "layer-mib": { type: "string", default: "256" },
    runs: { type: "string", default: "3" },
  },
});
const LAYERS = Number(values.layers);
const LAYER_BYTES = Number(values["layer-mib"]) * 1024 * 1024;
const RUNS = Number(values.runs);
const NODE = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/countersign.mjs");

/** An OCI layout with uncompressed random layers, so that no tool recompresses anything. */
async function writeLayout(dir: string): Promise<void> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Buffer | string) => {
    const digest = createHash("sha256").update(bytes).digest("hex");
    await writeFile(join(blobs, digest), bytes);
    return { digest: `sha256:${digest}`, size: Buffer.byteLength(bytes) };
  };
  const layers = [];
  for (let i = 0; i < LAYERS; i++) {
    const file = join(dir, `layer-${i}`);
    const hash = createHash("sha256");
    const chunk = 4 * 1024 * 1024;
    await pipeline(
      (async function* () {
        for (let written = 0; written < LAYER_BYTES; written += chunk) {
          const bytes = randomBytes(Math.min(chunk, LAYER_BYTES - written));
          hash.update(bytes);
          yield bytes;
        }
      })(),
      createWriteStream(file),
    );
    const hex = hash.digest("hex");
    await rename(file, join(blobs, hex));
    layers.push({
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: `sha256:${hex}`,
      size: LAYER_BYTES,
    });
  }
  const config = await put(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const manifest = await put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers,
    }),
  );
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": "v1" },
        },
      ],
    }),
  );
}

function run(file: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      {
        env: { PATH: `${dirname(NODE)}:${process.env.PATH}`, ...env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 600_000,
      },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`${file} ${args.join(" ")}: ${stderr}`)) : resolve(stderr),
    );
  });
}

/** Runs under GNU time: wall seconds, CPU seconds (user + system) and peak resident set in MiB. */
async function timed(file: string, args: readonly string[], env: Record<string, string>) {
  const stderr = await run("/usr/bin/time", ["-f", "TIME %e %U %S %M", file, ...args], env);
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(stderr);
  if (!match) throw new Error(`no GNU time line in: ${stderr.slice(-500)}`);
  return {
    seconds: Number(match[1]),
    cpuSeconds: Number(match[2]) + Number(match[3]),
    rssMiB: Number(match[4]) / 1024,
  };
}

interface Figures {
  seconds: number;
  cpuSeconds: number;
  rssMiB: number;
  requests: number;
}

const work = await mkdtemp(join(tmpdir(), "countersign-bench-copy-"));
const source = await startRegistry();
try {
  const env = { HOME: work, DOCKER_CONFIG: join(work, "docker") };
  await mkdir(env.DOCKER_CONFIG);
  await writeFile(join(env.DOCKER_CONFIG, "config.json"), "{}");
  await writeLayout(join(work, "layout"));
  await run("skopeo", [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    `oci:${join(work, "layout")}:v1`,
    `docker://${source.host}/big/app:v1`,
  ]);
  await rm(join(work, "layout"), { recursive: true });
  // The executable as users run it: its shebang sets the V8 options copy depends on.
  // The idle process: the same command, loaded, doing nothing.
  const idle = await timed(CLI, ["copy", "--help"], env);
  const figures = {
    ours: [] as Figures[],
    skopeo: [] as Figures[],
  };
  for (let i = 0; i < RUNS; i++) {
    for (const side of ["ours", "skopeo"] as const) {
      // A fresh destination registry each run: skopeo (as root) keeps a system-wide blob-info cache in
      // /var/lib/containers and would mount the blobs from the previous run's repository.
      const destinationRegistry = await startRegistry();
      const proxy = await countingProxy(destinationRegistry.host);
      const destination = `${proxy.host}/run-${i}/app:v1`;
      // A fresh HOME each run too: neither tool keeps anything from one run to the next.
      const home = join(work, `home-${side}-${i}`);
      await mkdir(join(home, "docker"), { recursive: true });
      await writeFile(join(home, "docker", "config.json"), "{}");
      const runEnv = { HOME: home, DOCKER_CONFIG: join(home, "docker"), XDG_DATA_HOME: join(home, "data") };
      const result =
        side === "ours"
          ? await timed(CLI, ["copy", `${source.host}/big/app:v1`, destination], runEnv)
          : await timed(
              "skopeo",
              [
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
                "--preserve-digests",
                `docker://${source.host}/big/app:v1`,
                `docker://${destination}`,
              ],
              runEnv,
            );
      figures[side].push({ ...result, requests: proxy.window().requests });
      await proxy.close();
      await destinationRegistry.stop();
    }
  }
  const m = (side: "ours" | "skopeo", key: keyof Figures) => median(figures[side].map((f) => f[key]));
  const gib = (LAYERS * LAYER_BYTES) / 2 ** 30;
  console.log(
    `bench/copy: ${gib.toFixed(2)} GiB image (${LAYERS} layers), distribution 2.8 to distribution 2.8 on loopback, median of ${RUNS}`,
  );
  console.log(`                           countersign      skopeo   ratio`);
  console.log(
    `wall time (s)             ${m("ours", "seconds").toFixed(2).padStart(12)} ${m("skopeo", "seconds").toFixed(2).padStart(11)}   ${(m("ours", "seconds") / m("skopeo", "seconds")).toFixed(2)}`,
  );
  console.log(
    `CPU time (s)              ${m("ours", "cpuSeconds").toFixed(2).padStart(12)} ${m("skopeo", "cpuSeconds").toFixed(2).padStart(11)}   ${(m("ours", "cpuSeconds") / m("skopeo", "cpuSeconds")).toFixed(2)}`,
  );
  console.log(
    `peak RSS (MiB)            ${m("ours", "rssMiB").toFixed(0).padStart(12)} ${m("skopeo", "rssMiB").toFixed(0).padStart(11)}   ${(m("ours", "rssMiB") / m("skopeo", "rssMiB")).toFixed(2)}`,
  );
  console.log(
    `  above idle countersign  ${(m("ours", "rssMiB") - idle.rssMiB).toFixed(0).padStart(12)}             (idle \`copy --help\`: ${idle.rssMiB.toFixed(0)} MiB; target <= 64)`,
  );
  console.log(
    `requests at destination   ${String(m("ours", "requests")).padStart(12)} ${String(m("skopeo", "requests")).padStart(11)}   ${(m("ours", "requests") / m("skopeo", "requests")).toFixed(2)}`,
  );
} finally {
  await source.stop();
  await rm(work, { recursive: true, force: true });
}
