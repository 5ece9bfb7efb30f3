// Requests and wall time of Countersign's registry operations against a real distribution registry,
// next to a baseline issuing the minimal request sequence for the same result with plain fetch.
// Run: node bench/oci.ts [--runs 3]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { RegistryProfiles } from "../lib/artifacts/profiles.ts";
import { writeReferrer } from "../lib/formats/referrer.ts";
import { copy } from "../lib/oci/copy/copy.ts";
import type { Descriptor } from "../lib/oci/descriptor.ts";
import { digestOf } from "../lib/oci/digest.ts";
import { MediaType } from "../lib/oci/media-types.ts";
import { RegistryClient } from "../lib/oci/remote/registry.ts";
import type { RequestEvent } from "../lib/oci/remote/transport.ts";
import { type RunningRegistry, startRegistry } from "../test/support/registry/distribution.ts";
import { countingFetch, median } from "./load.ts";
import * as baseline from "./oci-baseline.ts";

const LAYERS = 20;
const LAYER_BYTES = 512 * 1024;
const ARTIFACTS = 200;

interface Measure {
  readonly requests: number;
  readonly ms: number;
  readonly operations?: Map<string, number>;
}

async function measure(
  run: (fetcher: typeof fetch, onRequest: (e: RequestEvent) => void) => Promise<void>,
): Promise<Measure> {
  const counter = countingFetch();
  const operations = new Map<string, number>();
  const started = performance.now();
  await run(counter.fetch, (event) =>
    operations.set(event.operation, (operations.get(event.operation) ?? 0) + 1),
  );
  return { requests: counter.count(), ms: performance.now() - started, operations };
}

async function seedImage(registry: RunningRegistry, repository: string): Promise<Descriptor> {
  const repo = new RegistryClient(registry.host).repository(repository);
  const layers: Descriptor[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const bytes = new Uint8Array(randomBytes(LAYER_BYTES));
    const descriptor = {
      mediaType: MediaType.OciLayerTarGzip,
      digest: await digestOf(bytes),
      size: bytes.length,
    };
    await repo.pushBlob(descriptor, bytes);
    layers.push(descriptor);
  }
  const config = new TextEncoder().encode(
    JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
  );
  const configDescriptor = {
    mediaType: MediaType.OciConfig,
    digest: await digestOf(config),
    size: config.length,
  };
  await repo.pushBlob(configDescriptor, config);
  const manifest = new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDescriptor, layers }),
  );
  return (await repo.pushManifest(manifest, MediaType.OciManifest, "v1")).descriptor;
}

async function seedSubject(registry: RunningRegistry, repository: string): Promise<Descriptor> {
  const repo = new RegistryClient(registry.host).repository(repository);
  const layer = new TextEncoder().encode("subject layer");
  const layerDescriptor = {
    mediaType: MediaType.OciLayerTarGzip,
    digest: await digestOf(layer),
    size: layer.length,
  };
  await repo.pushBlob(layerDescriptor, layer);
  const config = new TextEncoder().encode("{}");
  const configDescriptor = { mediaType: MediaType.OciConfig, digest: await digestOf(config), size: 2 };
  await repo.pushBlob(configDescriptor, config);
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDescriptor,
      layers: [layerDescriptor],
    }),
  );
  return (await repo.pushManifest(manifest, MediaType.OciManifest, "subject")).descriptor;
}

function payload(i: number, run: number, who: string): Uint8Array {
  return new TextEncoder().encode(`{"signature":"${who}-${run}-${i}"}`);
}

interface Scenario {
  readonly name: string;
  /** Runs of this scenario (the artifact push takes ~20 s a run on distribution 2.8). */
  readonly runs?: number;
  ours(fetcher: typeof fetch, onRequest: (e: RequestEvent) => void, run: number): Promise<void>;
  base(fetcher: typeof fetch, run: number): Promise<void>;
}

function scenarios(
  a: RunningRegistry,
  b: RunningRegistry,
  subjects: { ours: Descriptor; base: Descriptor },
): Scenario[] {
  return [
    {
      name: `copy ${LAYERS}-layer image, same registry (mount)`,
      async ours(fetcher, onRequest, run) {
        const client = new RegistryClient(a.host, { fetch: fetcher, onRequest });
        await copy(client.repository("bench/source"), "v1", client.repository(`bench/ours-${run}`), {
          tag: "v1",
        });
      },
      base: (fetcher, run) => baseline.copyByMount(fetcher, a.url, "bench/source", `bench/base-${run}`, "v1"),
    },
    {
      name: `copy ${LAYERS}-layer image, across registries`,
      async ours(fetcher, onRequest, run) {
        const source = new RegistryClient(a.host, { fetch: fetcher, onRequest }).repository("bench/source");
        const destination = new RegistryClient(b.host, { fetch: fetcher, onRequest }).repository(
          `bench/ours-${run}`,
        );
        await copy(source, "v1", destination, { tag: "v1" });
      },
      base: (fetcher, run) =>
        baseline.copyAcross(fetcher, a.url, "bench/source", b.url, `bench/base-${run}`, "v1"),
    },
    {
      name: `push ${ARTIFACTS} artifacts with subject (fallback index)`,
      runs: 1,
      async ours(fetcher, onRequest, run) {
        const repository = new RegistryClient(a.host, { fetch: fetcher, onRequest }).repository(
          "bench/ours-subject",
        );
        for (let i = 0; i < ARTIFACTS; i++) {
          await writeReferrer({
            repository,
            subject: subjects.ours,
            artifact: {
              artifactType: "application/vnd.example.signature",
              layer: {
                mediaType: "application/vnd.example.signature.v1+json",
                bytes: payload(i, run, "ours"),
              },
              annotations: {},
            },
            profile: RegistryProfiles.distribution,
            created: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)),
          });
        }
      },
      async base(fetcher, run) {
        for (let i = 0; i < ARTIFACTS; i++) {
          await baseline.pushArtifact(
            fetcher,
            a.url,
            "bench/base-subject",
            subjects.base,
            payload(i, run, "base"),
            i === 0,
          );
        }
      },
    },
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
  const runs = Number(values.runs);
  const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  try {
    await seedImage(a, "bench/source");
    const subjects = {
      ours: await seedSubject(a, "bench/ours-subject"),
      base: await seedSubject(a, "bench/base-subject"),
    };
    const rows: string[][] = [
      ["operation", "requests ours/base", "ratio", "time ours/base (median)", "ratio"],
    ];
    const breakdowns: string[] = [];
    for (const scenario of scenarios(a, b, subjects)) {
      const ours: Measure[] = [];
      const base: Measure[] = [];
      for (let run = 0; run < Math.min(runs, scenario.runs ?? runs); run++) {
        // Alternate who goes first, so neither always meets a warmer registry.
        const order = run % 2 === 0 ? ["base", "ours"] : ["ours", "base"];
        for (const who of order) {
          if (who === "ours") ours.push(await measure((f, onRequest) => scenario.ours(f, onRequest, run)));
          else base.push(await measure((f) => scenario.base(f, run)));
        }
      }
      // Requests differ between runs only for the artifact push (its first run creates the config blob).
      const oursRequests = ours.at(-1)!.requests;
      const baseRequests = base.at(-1)!.requests;
      const oursMs = median(ours.map((m) => m.ms));
      const baseMs = median(base.map((m) => m.ms));
      rows.push([
        scenario.name,
        `${oursRequests} / ${baseRequests}`,
        (oursRequests / baseRequests).toFixed(2),
        `${oursMs.toFixed(0)} ms / ${baseMs.toFixed(0)} ms`,
        (oursMs / baseMs).toFixed(2),
      ]);
      const ops = [...ours.at(-1)!.operations!.entries()].map(([op, n]) => `${op} ${n}`).join(", ");
      breakdowns.push(`  ${scenario.name}: ${ops}`);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    console.log(
      `distribution 2.8 on loopback, median of ${runs} runs (artifact push: 1), ${LAYERS} layers of ${LAYER_BYTES / 1024} KiB, ${ARTIFACTS} artifacts`,
    );
    for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  "));
    console.log("Countersign's requests by operation (last run):");
    for (const line of breakdowns) console.log(line);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

await main();
