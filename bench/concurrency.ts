// Concurrent signers of one image on distribution 2.8 (no referrers API; it ignores If-Match): N
// `countersign sign` processes at once, each with its own key, all three formats, R runs; then two
// `countersign serve` processes fed the same pushes. Counts what was reported signed against what the
// fallback index and the `.sig` manifest list afterwards: lost, duplicated, failed processes. The
// baseline is the count that must be listed (every reported signature once), so 1.00 is the target.
//
//   node bench/concurrency.ts [--processes 50] [--runs 5] [--images 12]
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startService } from "../functions/node/service.ts";
import { parseConfig } from "../lib/config/load.ts";
import { silentLogger } from "../lib/observability/logger.ts";
import { runCountersign } from "../test/support/cli.ts";
import { startRegistry } from "../test/support/registry/distribution.ts";
import { buildImage, pushImage } from "../test/support/registry/images.ts";
import {
  DISTRIBUTION_EVENTS_V1,
  distributionPushEnvelope,
} from "../test/support/webhooks/distribution-events.ts";

const { values } = parseArgs({
  options: {
    processes: { type: "string", default: "50" },
    runs: { type: "string", default: "5" },
    images: { type: "string", default: "12" },
  },
});
const PROCESSES = Number(values.processes);
const RUNS = Number(values.runs);
const IMAGES = Number(values.images);

const run = (args: readonly string[], cwd: string) => runCountersign(args, { cwd, timeoutMs: 300_000 });

interface Listed {
  readonly referrers: string[];
  readonly sigLayers: string[];
}

async function listed(registryUrl: string, repository: string, digest: string): Promise<Listed> {
  const hex = digest.slice("sha256:".length);
  const get = async (tag: string, accept: string) => {
    const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, { headers: { accept } });
    return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
  };
  const index = (await get(`sha256-${hex}`, "application/vnd.oci.image.index.v1+json")) as
    | { manifests: Array<{ digest: string }> }
    | undefined;
  const sig = (await get(`sha256-${hex}.sig`, "application/vnd.oci.image.manifest.v1+json")) as
    | { layers: Array<{ annotations?: Record<string, string> }> }
    | undefined;
  return {
    referrers: (index?.manifests ?? []).map((m) => m.digest),
    sigLayers: (sig?.layers ?? []).map((l) => l.annotations?.["dev.cosignproject.cosign/signature"] ?? ""),
  };
}

async function processRuns(work: string): Promise<string[]> {
  const registry = await startRegistry();
  const image = await buildImage({ layers: 1 });
  const rows: string[] = [];
  try {
    const keys: string[] = [];
    for (let i = 0; i < PROCESSES; i++) {
      const key = join(work, `key-${i}.pem`);
      const generated = await run(["keys", "generate", "--out", key], work);
      if (generated.code !== 0) throw new Error(generated.stderr);
      keys.push(key);
    }
    for (let r = 0; r < RUNS; r++) {
      const repository = `race/run-${r}`;
      await pushImage(image.dir, `${registry.host}/${repository}:v1`, { tag: image.tag });
      const ref = `${registry.host}/${repository}@${image.manifest.digest}`;
      const started = performance.now();
      const results = await Promise.all(
        keys.map((key, i) => run(["sign", ref, "--key", key, "--data-dir", join(work, `data-${i}`)], work)),
      );
      const seconds = (performance.now() - started) / 1000;
      const failed = results.filter((result) => result.code !== 0);
      const reported = results.flatMap((result) =>
        result.stdout
          .split("\n")
          .filter((line) => line.includes("\tsigned: "))
          .map((line) => line.split("\t")[0]),
      );
      const after = await listed(registry.url, repository, image.manifest.digest);
      const reportedReferrers = reported.filter((f) => f !== "cosign").length;
      const reportedSig = reported.filter((f) => f === "cosign").length;
      const lost =
        Math.max(0, reportedReferrers - new Set(after.referrers).size) +
        Math.max(0, reportedSig - new Set(after.sigLayers).size);
      const duplicates =
        after.referrers.length -
        new Set(after.referrers).size +
        (after.sigLayers.length - new Set(after.sigLayers).size);
      const expected = PROCESSES * 3;
      const listedCount = new Set(after.referrers).size + new Set(after.sigLayers).size;
      rows.push(
        `run ${r + 1}: ${PROCESSES} processes, ${seconds.toFixed(1)} s: reported ${reported.length}/${expected}, ` +
          `listed ${listedCount}/${expected} = ${(listedCount / expected).toFixed(2)}, lost ${lost}, duplicates ${duplicates}, ` +
          `failed processes ${failed.length}${failed.length > 0 ? ` (${failed[0]?.stderr.trim().split("\n").at(-1)})` : ""}`,
      );
      console.log(rows.at(-1));
    }
  } finally {
    await image.cleanup();
    await registry.stop();
  }
  return rows;
}

/** Two `serve` processes (own data dirs and keys) receive every push: each signs every image. */
async function twoServices(work: string): Promise<string> {
  const registry = await startRegistry();
  const image = await buildImage({ layers: 1 });
  const services = await Promise.all(
    [0, 1].map(async (i) => {
      const dataDir = join(work, `serve-${i}`);
      await mkdir(dataDir, { recursive: true });
      const config = await parseConfig(
        {
          dataDir,
          registries: [{ host: "127.0.0.1:*" }],
          webhooks: [{ name: "distribution", kind: "distribution", settings: { auth: "none" } }],
          queue: { concurrency: 4, maxAttempts: 8, backoff: { initialMs: 200, maxMs: 2000, factor: 2 } },
        },
        { env: () => undefined, readFile: async () => "" },
      );
      return startService(config, { logger: silentLogger, port: 0 });
    }),
  );
  try {
    const digests: Array<{ repository: string; digest: string }> = [];
    const manifest = image.manifest;
    for (let i = 0; i < IMAGES; i++) {
      const repository = `serve/img-${i}`;
      await pushImage(image.dir, `${registry.host}/${repository}:v1`, { tag: image.tag });
      digests.push({ repository, digest: image.manifest.digest });
    }
    await Promise.all(
      services.flatMap((service) =>
        digests.map(({ repository, digest }) =>
          fetch(`${service.url}/webhooks/distribution`, {
            method: "POST",
            headers: { "content-type": DISTRIBUTION_EVENTS_V1 },
            body: JSON.stringify(
              distributionPushEnvelope(registry.host, repository, { ...manifest, digest }, "v1"),
            ),
          }).then((r) => r.body?.cancel()),
        ),
      ),
    );
    // Each delivery queued its jobs before it was answered: the queues' idle is every job's end.
    await Promise.all(services.map((service) => service.queue.idle()));
    let lost = 0;
    let duplicates = 0;
    let dead = 0;
    for (const service of services)
      dead += (await service.store.listJobs({ status: "dead", limit: 1000 })).length;
    for (const { repository, digest } of digests) {
      const after = await listed(registry.url, repository, digest);
      lost += Math.max(0, 4 - new Set(after.referrers).size) + Math.max(0, 2 - new Set(after.sigLayers).size);
      duplicates +=
        after.referrers.length -
        new Set(after.referrers).size +
        (after.sigLayers.length - new Set(after.sigLayers).size);
    }
    const expected = IMAGES * 6;
    return `two serve processes, ${IMAGES} images x 3 formats each: listed ${expected - lost}/${expected} = ${((expected - lost) / expected).toFixed(2)}, lost ${lost}, duplicates ${duplicates}, dead jobs ${dead}`;
  } finally {
    await Promise.all(services.map((service) => service.close()));
    await image.cleanup();
    await registry.stop();
  }
}

const work = await mkdtemp(join(tmpdir(), "countersign-bench-concurrency-"));
try {
  await mkdir(join(work, "docker"));
  await writeFile(join(work, "docker", "config.json"), "{}");
  console.log(
    `bench/concurrency: distribution 2.8 on loopback; baseline = every reported signature listed once (1.00)`,
  );
  await processRuns(work);
  console.log(await twoServices(work));
} finally {
  await rm(work, { recursive: true, force: true });
}
