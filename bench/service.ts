// Webhook to signature through `countersign serve` against a real distribution 2.8 registry, next to a
// baseline that signs the same images and makes the same registry writes directly with plain fetch.
// Run: node bench/service.ts [--images 50] [--concurrency 4]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startService } from "../functions/node/service.ts";
import { buildArtifactManifest } from "../lib/artifacts/manifest.ts";
import { RegistryProfiles } from "../lib/artifacts/profiles.ts";
import { parseConfig } from "../lib/config/load.ts";
import { buildSigstoreBundle } from "../lib/formats/bundle/build.ts";
import { buildCosignSignature } from "../lib/formats/cosign/build.ts";
import { appendCosignLayer, cosignSignatureTag } from "../lib/formats/cosign/signature-manifest.ts";
import { buildNotarySignature } from "../lib/formats/notary/build.ts";
import { silentLogger } from "../lib/observability/logger.ts";
import type { Descriptor } from "../lib/oci/descriptor.ts";
import { digestOf } from "../lib/oci/digest.ts";
import { EmptyJson, MediaType } from "../lib/oci/media-types.ts";
import { referrersTag } from "../lib/oci/referrers-index.ts";
import { RegistryClient } from "../lib/oci/remote/registry.ts";
import type { Signer } from "../lib/signing/signer.ts";
import { startRegistry } from "../test/support/registry/distribution.ts";
import {
  DISTRIBUTION_EVENTS_V1,
  distributionPushEnvelope,
} from "../test/support/webhooks/distribution-events.ts";
import { countingFetch, pool } from "./load.ts";
import { putManifest, upload } from "./oci-baseline.ts";

const { values } = parseArgs({
  options: { images: { type: "string", default: "50" }, concurrency: { type: "string", default: "4" } },
});
const IMAGES = Number(values.images);
const CONCURRENCY = Number(values.concurrency);
const TOKEN = "bench-webhook-token-0123456789";
const encoder = new TextEncoder();

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** N distinct small images in `repository` (shared config and layer, manifests differ by annotation). */
async function pushImages(client: RegistryClient, repository: string, n: number): Promise<Descriptor[]> {
  const repo = client.repository(repository);
  const config = encoder.encode(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  );
  const layer = encoder.encode(`layer of ${repository}`);
  const configDescriptor = {
    mediaType: MediaType.OciConfig,
    digest: await digestOf(config),
    size: config.length,
  };
  const layerDescriptor = {
    mediaType: MediaType.OciLayerTarGzip,
    digest: await digestOf(layer),
    size: layer.length,
  };
  await repo.pushBlob(configDescriptor, config);
  await repo.pushBlob(layerDescriptor, layer);
  const images: Descriptor[] = [];
  for (let i = 0; i < n; i++) {
    const manifest = encoder.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: configDescriptor,
        layers: [layerDescriptor],
        annotations: { "bench.image": `${repository}-${i}` },
      }),
    );
    images.push((await repo.pushManifest(manifest, MediaType.OciManifest, `v${i}`)).descriptor);
  }
  return images;
}

// ---- Baseline: the same signatures, the fewest requests distribution 2.8 needs, plain fetch. ----

async function getOptional(
  fetcher: typeof fetch,
  url: string,
  repository: string,
  ref: string,
  accept: string,
) {
  const response = await fetcher(`${url}/v2/${repository}/manifests/${ref}`, { headers: { accept } });
  if (response.status === 404) {
    await response.arrayBuffer();
    return undefined;
  }
  return JSON.parse(await response.text());
}

async function baselineSign(
  fetcher: typeof fetch,
  url: string,
  host: string,
  repository: string,
  image: Descriptor,
  signer: Signer,
  chain: readonly Uint8Array[],
) {
  const created = new Date(Math.floor(Date.now() / 1000) * 1000);
  const referrers = [
    await buildNotarySignature({ subject: image, signer, certificateChain: chain, signingTime: created }),
    await buildSigstoreBundle({ subject: image, signer, created }),
  ];
  for (const artifact of referrers) {
    const built = await buildArtifactManifest({
      artifactType: artifact.artifactType,
      subject: image,
      layers: [artifact.layer],
      annotations: artifact.annotations,
      created,
      profile: RegistryProfiles.distribution,
    });
    for (const blob of built.blobs.filter((b) => b.descriptor.digest !== EmptyJson.digest)) {
      await upload(fetcher, url, repository, blob.descriptor.digest, blob.bytes);
    }
    await putManifest(fetcher, url, repository, built.descriptor.digest, built.bytes, MediaType.OciManifest);
    const tag = referrersTag(image.digest);
    const index = (await getOptional(fetcher, url, repository, tag, MediaType.OciIndex)) ?? {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [],
    };
    index.manifests.push(built.referrerDescriptor);
    await putManifest(
      fetcher,
      url,
      repository,
      tag,
      encoder.encode(JSON.stringify(index)),
      MediaType.OciIndex,
    );
  }
  const cosign = await buildCosignSignature({
    dockerReference: `${host}/${repository}`,
    subjectDigest: image.digest,
    signer,
  });
  const tag = cosignSignatureTag(image.digest);
  const existing = await getOptional(fetcher, url, repository, tag, MediaType.OciManifest);
  const next = await appendCosignLayer(existing, cosign.layer);
  await upload(fetcher, url, repository, cosign.layer.digest, cosign.payload);
  await upload(fetcher, url, repository, next.config.descriptor.digest, next.config.bytes);
  await putManifest(fetcher, url, repository, tag, next.bytes, MediaType.OciManifest);
}

// ---- Run ----

const work = await mkdtemp(join(tmpdir(), "countersign-bench-service-"));
const registry = await startRegistry();
const serviceFetch = countingFetch();
const config = await parseConfig(
  {
    dataDir: join(work, "data"),
    registries: [{ host: "127.0.0.1:*" }],
    webhooks: [{ name: "distribution", kind: "distribution", settings: { auth: { bearer: TOKEN } } }],
    queue: { concurrency: CONCURRENCY },
  },
  { env: () => undefined, readFile: async () => "" },
);
const service = await startService(config, { port: 0, logger: silentLogger, fetch: serviceFetch.fetch });
try {
  const setup = new RegistryClient(registry.host);
  const served = await pushImages(setup, "bench/service", IMAGES);
  const direct = await pushImages(setup, "bench/direct", IMAGES);
  // The data-dir key and certificate are created; a first request warms the app.
  await fetch(`${service.url}/healthz`);

  const acks: number[] = [];
  const latencies: number[] = [];
  const jobs: Array<{ id: string; sent: number }> = [];
  const before = serviceFetch.count();
  const started = performance.now();
  for (const [i, image] of served.entries()) {
    const sent = performance.now();
    const response = await fetch(`${service.url}/webhooks/distribution`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": DISTRIBUTION_EVENTS_V1,
      },
      body: JSON.stringify(distributionPushEnvelope(registry.host, "bench/service", image, `v${i}`)),
    });
    acks.push(performance.now() - sent);
    const body = (await response.json()) as { accepted: string[] };
    if (response.status !== 202 || body.accepted.length !== 1)
      throw new Error(`webhook answered ${response.status}`);
    jobs.push({ id: body.accepted[0]!, sent });
  }
  const pending = new Map(jobs.map((j) => [j.id, j.sent]));
  while (pending.size > 0) {
    for (const [id, sent] of pending) {
      const job = await service.store.getJob(id);
      if (job?.status === "succeeded") {
        latencies.push(performance.now() - sent);
        pending.delete(id);
      } else if (job?.status === "dead") throw new Error(`job ${id} died: ${job.lastError}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const serviceMs = performance.now() - started;
  const serviceRequests = serviceFetch.count() - before;

  const baselineFetch = countingFetch();
  const baselineLatencies: number[] = [];
  const baselineStarted = performance.now();
  await upload(baselineFetch.fetch, registry.url, "bench/direct", EmptyJson.digest, EmptyJson.bytes);
  await pool(direct, CONCURRENCY, async (image) => {
    await baselineSign(
      baselineFetch.fetch,
      registry.url,
      registry.host,
      "bench/direct",
      image,
      service.signer,
      service.certificateChain,
    );
    baselineLatencies.push(performance.now() - baselineStarted);
  });
  const baselineMs = performance.now() - baselineStarted;

  const signatures = IMAGES * 3;
  const row = (name: string, a: string, b: string, ratio?: number) =>
    console.log(
      `${name.padEnd(34)} ${a.padStart(12)} ${b.padStart(12)} ${ratio === undefined ? "" : ratio.toFixed(2).padStart(8)}`,
    );
  console.log(
    `bench/service: ${IMAGES} images x 3 formats (notary, cosign, bundle), concurrency ${CONCURRENCY}, distribution 2.8 on loopback`,
  );
  row("", "countersign", "baseline", undefined);
  row(
    "webhook ack p50 / p99 (ms)",
    `${percentile(acks, 50).toFixed(1)} / ${percentile(acks, 99).toFixed(1)}`,
    "-",
  );
  const p = (xs: number[], q: number) => percentile(xs, q).toFixed(0);
  row(
    "time to signature p50 (ms)",
    p(latencies, 50),
    p(baselineLatencies, 50),
    percentile(latencies, 50) / percentile(baselineLatencies, 50),
  );
  row(
    "time to signature p99 (ms)",
    p(latencies, 99),
    p(baselineLatencies, 99),
    percentile(latencies, 99) / percentile(baselineLatencies, 99),
  );
  const rate = signatures / (serviceMs / 1000);
  const baseRate = signatures / (baselineMs / 1000);
  row("signatures per second", rate.toFixed(1), baseRate.toFixed(1), rate / baseRate);
  row(
    "registry requests per signature",
    (serviceRequests / signatures).toFixed(2),
    (baselineFetch.count() / signatures).toFixed(2),
    serviceRequests / baselineFetch.count(),
  );
  console.log(
    "(ratio = countersign / baseline; the baseline signs with the same key and builders, writes with plain fetch, no webhook, queue or store)",
  );
} finally {
  await service.close();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}
