// An RSA key on Workers: a local RSA-3072 key from the COUNTERSIGN_SIGNING_KEY secret signs a pushed
// image in every format (Notary with PSS, cosign and bundles with RSASSA-PKCS1-v1_5), and the Worker's
// own /v1/verify checks all three inside workerd, bundles through @sigstore/verify with the node:crypto
// shim of functions/cloudflare/node-crypto.ts (workerd refuses `crypto.verify(undefined, …)`).
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../../lib/store/store.ts";
import { waitForIdleJobs } from "../support/app/idle-jobs.ts";
import { countersignWebhook, type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildImage, pushImage } from "../support/registry/images.ts";
import {
  buildWorkerBundle,
  type LocalWorker,
  startLocalWorker,
  type WorkerBundle,
} from "../support/workers/local-worker.ts";

const WEBHOOK_TOKEN = "workers-rsa-webhook-token-0123456789";

let bundle: WorkerBundle;
let worker: LocalWorker;
let registry: RunningRegistry;

async function waitForJobs(): Promise<readonly Job[]> {
  return waitForIdleJobs({
    jobs: async () =>
      ((await (await fetch(`${worker.url}/v1/jobs?limit=500`)).json()) as { jobs: Job[] }).jobs,
    untilFirstJob: true,
    describe: () => `the Worker did not become idle; its output:\n${worker.logs().slice(-4000)}`,
  });
}

beforeAll(async () => {
  bundle = await buildWorkerBundle();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  worker = await startLocalWorker(bundle, {
    bindings: {
      COUNTERSIGN_CONFIG: JSON.stringify({
        registries: [{ host: "127.0.0.1:*" }],
        webhooks: [
          {
            name: "distribution",
            kind: "distribution",
            settings: { auth: { bearer: { env: "WEBHOOK_TOKEN" } } },
          },
        ],
      }),
      WEBHOOK_TOKEN,
      COUNTERSIGN_SIGNING_KEY: privateKey.export({ type: "pkcs8", format: "pem" }),
    },
  });
  registry = await startRegistry({
    notifications: [countersignWebhook(`${worker.url}/webhooks/distribution`, WEBHOOK_TOKEN)],
  });
});

afterAll(async () => {
  await worker?.dispose();
  await registry?.stop();
  await bundle?.cleanup();
});

describe("an RSA key on Workers", () => {
  it("signs in every format and verifies all three inside workerd", async () => {
    const image = await buildImage({ layers: 1 });
    try {
      await pushImage(image.dir, `${registry.host}/team/rsa:v1`);
    } finally {
      await image.cleanup();
    }
    const jobs = await waitForJobs();
    const job = jobs.find((j) => j.request.digest === image.manifest.digest);
    expect(job, JSON.stringify(jobs)).toMatchObject({ status: "succeeded" });
    const keys = (await (await fetch(`${worker.url}/v1/keys`)).json()) as {
      keys: Array<{ algorithm: string }>;
    };
    expect(keys.keys.map((k) => k.algorithm)).toEqual(["PS384"]); // Notary pairs RSA-3072 with PS384

    const ref = encodeURIComponent(`${registry.host}/team/rsa@${image.manifest.digest}`);
    const verdict = (await (await fetch(`${worker.url}/v1/verify?ref=${ref}`)).json()) as {
      verified: boolean;
      formats: Array<{ format: string; verified: boolean; signatures: Array<{ detail: string }> }>;
    };
    expect(
      verdict.formats.map((f) => [f.format, f.verified, f.signatures.length]).sort(),
      JSON.stringify(verdict),
    ).toEqual([
      ["bundle", true, 1],
      ["cosign", true, 1],
      ["notary", true, 1],
    ]);
  });
});
