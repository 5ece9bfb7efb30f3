// Registry requests per signature, counted by a proxy in front of the registry, against the floor the
// protocol allows (issue "requests at the floor"): a fresh image in three formats from `countersign sign`
// and from the service, on distribution 2.8 (tag-schema fallback: floor 22, read-backs included) and on
// olareg (referrers API: 3 per signature and one subject GET, 10); then the n-th signature by the n-th
// key on one image, which must cost what the first did.
//
//   node bench/requests.ts [--images 5] [--keys 10]
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startService } from "../functions/node/service.ts";
import { parseConfig } from "../lib/config/load.ts";
import { silentLogger } from "../lib/observability/logger.ts";
import { type RegistryKind, startRegistryKind } from "../test/peers/registries.ts";
import { runCountersign } from "../test/support/cli.ts";
import { buildImage, pushImage } from "../test/support/registry/images.ts";
import {
  DISTRIBUTION_EVENTS_V1,
  distributionPushEnvelope,
} from "../test/support/webhooks/distribution-events.ts";
import { countingProxy, median } from "./load.ts";

const { values } = parseArgs({
  options: { images: { type: "string", default: "5" }, keys: { type: "string", default: "10" } },
});
const IMAGES = Number(values.images);
const KEYS = Number(values.keys);
/** A fresh image in three formats: the fewest requests the protocol allows, read-backs included. */
const FLOOR: Readonly<Record<"distribution" | "olareg", number>> = { distribution: 22, olareg: 10 };

async function cli(args: readonly string[], cwd: string): Promise<void> {
  const run = await runCountersign(args, { cwd });
  if (run.code !== 0) throw new Error(`${run.command}: ${run.stderr}`);
}
const rows: string[][] = [];
const work = await mkdtemp(join(tmpdir(), "countersign-bench-requests-"));
const image = await buildImage({ layers: 1 });
try {
  await mkdir(join(work, "docker"));
  await writeFile(join(work, "docker", "config.json"), "{}");
  const keys: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    keys.push(join(work, `key-${i}.pem`));
    await cli(["keys", "generate", "--out", keys[i]!], work);
  }
  for (const kind of ["distribution", "olareg"] as const satisfies readonly RegistryKind[]) {
    const registry = await startRegistryKind(kind);
    const proxy = await countingProxy(registry.host);
    try {
      // The CLI, a fresh image each time.
      const fresh: number[] = [];
      for (let i = 0; i < IMAGES; i++) {
        await pushImage(image.dir, `${registry.host}/cli/fresh-${i}:v1`, { tag: image.tag });
        proxy.reset();
        await cli(["sign", `${proxy.host}/cli/fresh-${i}@${image.manifest.digest}`, "--key", keys[0]!], work);
        fresh.push(proxy.window().requests);
      }
      rows.push([kind, "CLI: fresh image, 3 formats", String(median(fresh)), String(FLOOR[kind])]);
      // The n-th key on one image.
      await pushImage(image.dir, `${registry.host}/cli/nth:v1`, { tag: image.tag });
      const curve: number[] = [];
      for (const [n, key] of keys.entries()) {
        proxy.reset();
        await cli(
          [
            "sign",
            `${proxy.host}/cli/nth@${image.manifest.digest}`,
            "--key",
            key,
            "--data-dir",
            join(work, `d${n}`),
          ],
          work,
        );
        curve.push(proxy.window().requests);
      }
      rows.push([kind, `CLI: n-th key on one image, n = 1..${KEYS}`, curve.join(" "), `${curve[0]} each`]);
      // The service, fed webhook events for fresh images.
      const config = await parseConfig(
        {
          dataDir: join(work, `service-${kind}`),
          registries: [{ host: "127.0.0.1:*" }],
          webhooks: [{ name: "distribution", kind: "distribution", settings: { auth: "none" } }],
        },
        { env: () => undefined, readFile: async () => "" },
      );
      const service = await startService(config, { port: 0, logger: silentLogger });
      try {
        const served: number[] = [];
        for (let i = 0; i < IMAGES; i++) {
          await pushImage(image.dir, `${registry.host}/service/fresh-${i}:v1`, { tag: image.tag });
          proxy.reset();
          const response = await fetch(`${service.url}/webhooks/distribution`, {
            method: "POST",
            headers: { "content-type": DISTRIBUTION_EVENTS_V1 },
            body: JSON.stringify(
              distributionPushEnvelope(proxy.host, `service/fresh-${i}`, image.manifest, "v1"),
            ),
          });
          await response.body?.cancel();
          await service.queue.idle();
          served.push(proxy.window().requests);
        }
        // The first job also probes the referrers API once for the process: the median leaves it out.
        rows.push([kind, "service: fresh image, 3 formats", String(median(served)), String(FLOOR[kind])]);
      } finally {
        await service.close();
      }
    } finally {
      await proxy.close();
      await registry.stop();
    }
  }
} finally {
  await image.cleanup();
  await rm(work, { recursive: true, force: true });
}
const header = ["registry", "what", "requests", "floor"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log(
  `bench/requests: registry requests counted at a proxy, median of ${IMAGES} images; ratio = requests / floor`,
);
for (const row of [header, ...rows]) {
  const ratio =
    row === header ? "ratio" : (Number(row[2]!.split(" ").at(-1)) / Number(row[3]!.split(" ")[0])).toFixed(2);
  console.log([...row.map((cell, i) => cell.padEnd(widths[i]!)), ratio].join("  "));
}
