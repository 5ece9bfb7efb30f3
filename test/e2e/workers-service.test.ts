// End to end on Cloudflare Workers, offline: the bundle `wrangler deploy --dry-run` builds, served by
// workerd through the Miniflare that `wrangler dev` runs (D1, the SubjectCoordinator Durable Object,
// the jobs queue and its dead-letter queue, all local). A real distribution 2.8 registry sends its
// notifications to the Worker; the Worker signs through the KMS emulator with the AWS SDK's browser
// build; Node verifies what lands in the registry. Registry traffic goes through a loopback proxy, so
// the test can count it and inject failures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySubject } from "../../lib/attach/verify-subject.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { parseCertificateChain } from "../../lib/signing/certificate.ts";
import type { Job } from "../../lib/store/store.ts";
import { waitForIdleJobs } from "../support/app/idle-jobs.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import { pushUnderManyTags } from "../support/registry/content.ts";
import { countersignWebhook, type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";
import { buildImage, pushImage, pushMultiArchIndex } from "../support/registry/images.ts";
import { DISTRIBUTION_EVENTS_V1, distributionPushEnvelope } from "../support/webhooks/distribution-events.ts";
import {
  buildWorkerBundle,
  type LocalWorker,
  startLocalWorker,
  type WorkerBundle,
} from "../support/workers/local-worker.ts";

const WEBHOOK_TOKEN = "workers-e2e-webhook-token-0123456789";
const API_TOKEN = "workers-e2e-api-token-0123456789";
const ACCESS_KEY_ID = "AKIDWORKERSE2E";

let bundle: WorkerBundle;
let emulator: KmsEmulator;
let worker: LocalWorker;
let registry: RunningRegistry;
let proxy: FaultProxy;
let keyArn: string;

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${worker.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers as Record<string, string>) },
  });
}

async function jobs(): Promise<Job[]> {
  const response = await api("/v1/jobs?limit=500");
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { jobs: Job[] }).jobs;
}

async function waitForIdle(): Promise<readonly Job[]> {
  return waitForIdleJobs({
    jobs,
    describe: () => `the Worker did not become idle; its output:\n${worker.logs().slice(-4000)}`,
  });
}

function client(): RegistryClient {
  return new RegistryClient(registry.host);
}

async function fallbackEntries(repository: string, digest: string): Promise<Descriptor[]> {
  const index = await client().repository(repository).fallbackIndex(digest);
  return [...((index?.index.manifests ?? []) as Descriptor[])];
}

async function trustAnchor(): Promise<Uint8Array> {
  const db = await worker.d1();
  const rows = await db
    .prepare("SELECT key_id, pem FROM notary_certificates")
    .all<{ key_id: string; pem: string }>();
  expect(rows.results.map((r) => r.key_id)).toEqual([keyArn]);
  return parseCertificateChain(rows.results[0]!.pem)[0]!;
}

async function verifyAll(repository: string, subject: Descriptor) {
  const keys = (await (await api("/v1/keys")).json()) as { keys: Array<{ keyId: string; pem: string }> };
  return verifySubject({
    target: client().repository(repository),
    subject,
    formats: ["notary", "cosign", "bundle"],
    material: { publicKeys: keys.keys.map((k) => k.pem), trustStore: [await trustAnchor()] },
  });
}

async function expectOneVerifiedSignaturePerFormat(repository: string, subject: Descriptor): Promise<void> {
  for (const report of await verifyAll(repository, subject)) {
    expect(report.signatures, `${report.format} ${subject.digest}`).toHaveLength(1);
    expect(report.verified, `${report.format}: ${report.signatures[0]?.detail}`).toBe(true);
  }
}

function pushEvent(host: string, repository: string, digest: string, tag: string) {
  return distributionPushEnvelope(host, repository, { digest }, tag);
}

function webhook(body: unknown, token: string | null = WEBHOOK_TOKEN): Promise<Response> {
  return fetch(`${worker.url}/webhooks/distribution`, {
    method: "POST",
    headers: {
      "content-type": DISTRIBUTION_EVENTS_V1,
      ...(token !== null && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  bundle = await buildWorkerBundle();
  emulator = await startKmsEmulator();
  const key = await emulator.createKey("ECC_NIST_P256");
  keyArn = key.arn;
  await emulator.createAlias("alias/countersign", key.keyId);
  worker = await startLocalWorker(bundle, {
    bindings: {
      // The configuration names its secrets; the values are Worker secrets (`wrangler secret put`).
      COUNTERSIGN_CONFIG: JSON.stringify({
        registries: [{ host: "127.0.0.1:*" }],
        webhooks: [
          {
            name: "distribution",
            kind: "distribution",
            settings: { auth: { bearer: { env: "WEBHOOK_TOKEN" } } },
          },
        ],
        signer: { key: "awskms:///alias/countersign" },
        api: { tokens: [{ env: "API_TOKEN" }] },
        queue: { maxAttempts: 5, backoff: { initialMs: 100, maxMs: 1_000 } },
      }),
      WEBHOOK_TOKEN,
      API_TOKEN,
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: "workers-e2e-secret-access-key",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_KMS: emulator.endpoint,
    },
  });
  registry = await startRegistry({
    notifications: [countersignWebhook(`${worker.url}/webhooks/distribution`, WEBHOOK_TOKEN)],
  });
  // Clients push through the proxy, so event URLs name it and the Worker's registry requests pass it.
  proxy = await startFaultProxy(registry.url);
});

afterAll(async () => {
  await worker?.dispose();
  await proxy?.stop();
  await registry?.stop();
  await emulator?.stop();
  await bundle?.cleanup();
});

describe("Countersign on Workers (workerd, offline), end to end", () => {
  let subject: Descriptor;

  it("signs a pushed image in every format with the KMS key, through the queue", async () => {
    const image = await buildImage({ layers: 2 });
    try {
      await pushImage(image.dir, `${proxy.host}/team/app:v1`);
    } finally {
      await image.cleanup();
    }
    const finished = await waitForIdle();
    subject = { ...image.manifest };
    const job = finished.find(
      (j) => j.request.digest === subject.digest && j.source === "webhook:distribution",
    );
    expect(job, JSON.stringify(finished)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(Object.values(job!.outcomes).map((o) => o?.status)).toEqual(["signed", "signed", "signed"]);

    const entries = await fallbackEntries("team/app", subject.digest);
    expect(entries.map((e) => e.artifactType).sort()).toEqual([
      "application/vnd.cncf.notary.signature",
      "application/vnd.dev.sigstore.bundle.v0.3+json",
    ]);
    await expectOneVerifiedSignaturePerFormat("team/app", subject);
    // Every KMS request carried the Worker secrets' credentials; signatures came from KMS Sign.
    expect(emulator.requests.length).toBeGreaterThan(0);
    for (const request of emulator.requests)
      expect(request).toMatchObject({ accessKeyId: ACCESS_KEY_ID, region: "us-east-1" });
    expect(emulator.calls.Sign.succeeded).toBeGreaterThanOrEqual(3);
  });

  it("keeps one self-signed Notary certificate for the KMS key in D1, and it is the trust anchor", async () => {
    const anchor = await trustAnchor();
    const { X509Certificate } = await import("node:crypto");
    const certificate = new X509Certificate(anchor);
    const keys = (await (await api("/v1/keys")).json()) as { keys: Array<{ keyId: string; pem: string }> };
    expect(keys.keys.map((k) => k.keyId)).toEqual([keyArn]);
    expect(certificate.publicKey.export({ type: "spki", format: "pem" })).toBe(keys.keys[0]!.pem);
    expect(certificate.subject).toContain("CN=Countersign");
  });

  it("gives one signature per format for a webhook delivered three more times", async () => {
    const signsBefore = emulator.calls.Sign.succeeded;
    for (let i = 0; i < 3; i++) {
      const response = await webhook(pushEvent(proxy.host, "team/app", subject.digest, "v1"));
      expect(response.status).toBe(202);
    }
    await waitForIdle();
    expect(await fallbackEntries("team/app", subject.digest)).toHaveLength(2);
    for (const report of await verifyAll("team/app", subject)) expect(report.signatures).toHaveLength(1);
    expect(emulator.calls.Sign.succeeded).toBe(signsBefore);
  });

  it("gives one signature per format for 20 concurrent pushes of different tags of one digest", async () => {
    await pushUnderManyTags(proxy.host, "team/app", "team/tags", subject.digest, 20);
    await waitForIdle();
    expect(await fallbackEntries("team/tags", subject.digest)).toHaveLength(2);
    await expectOneVerifiedSignaturePerFormat("team/tags", subject);
  });

  it("signs a multi-arch index and each platform manifest", async () => {
    const pushed = await pushMultiArchIndex(proxy.host, "team/multi:v1", ["linux/amd64", "linux/arm64/v8"]);
    await waitForIdle();
    const subjects: Descriptor[] = [
      pushed.index,
      ...pushed.manifests.map((m) => ({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: m.digest,
        size: m.size,
      })),
    ];
    for (const s of subjects) await expectOneVerifiedSignaturePerFormat("team/multi", s);
  });

  it("redelivers a job through the queue after a transient registry failure", async () => {
    const image = await buildImage({ layers: 1 });
    // More 503s than the registry client's own retries (5 attempts) on the Worker's manifest fetch:
    // the first delivery fails as transient, and the queue brings the job back after its backoff.
    proxy.inject({ kind: "status", status: 503 }, 6, {
      method: "GET",
      path: new RegExp(`^/v2/team/retry/manifests/${image.manifest.digest}$`),
    });
    try {
      await pushImage(image.dir, `${proxy.host}/team/retry:v1`);
    } finally {
      await image.cleanup();
    }
    const finished = await waitForIdle();
    const job = finished.find((j) => j.request.digest === image.manifest.digest);
    expect(job, JSON.stringify(finished)).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(
      proxy.requests.filter((r) => r.status === 503 && r.path.startsWith("/v2/team/retry/")),
    ).toHaveLength(6);
    await expectOneVerifiedSignaturePerFormat("team/retry", { ...image.manifest });
  });

  it("retries a job whose registry connections were lost: workerd's 'Network connection lost.' is transient", async () => {
    const image = await buildImage({ layers: 1 });
    // More resets than the client's own attempts (5), twice over: workerd tries a request once more on a
    // fresh connection when a pooled one was reset. The first delivery fails on a lost connection, which
    // workerd reports without Node's error codes; the queue must bring the job back.
    proxy.inject({ kind: "reset" }, 12, {
      method: "GET",
      path: new RegExp(`^/v2/team/lost/manifests/${image.manifest.digest}$`),
    });
    try {
      await pushImage(image.dir, `${proxy.host}/team/lost:v1`);
    } finally {
      await image.cleanup();
    }
    const finished = await waitForIdle();
    const job = finished.find((j) => j.request.digest === image.manifest.digest);
    expect(job?.status, job?.lastError).toBe("succeeded");
    expect(job?.attempts).toBeGreaterThanOrEqual(2);
    expect(
      proxy.requests.filter((r) => r.fault === "reset" && r.path.startsWith("/v2/team/lost/")),
    ).toHaveLength(12);
    await expectOneVerifiedSignaturePerFormat("team/lost", { ...image.manifest });
  });

  it("signs on demand through POST /v1/signatures with an API token from a Worker secret", async () => {
    const image = await buildImage({ layers: 1 });
    try {
      await pushImage(image.dir, `${proxy.host}/team/demand:v1`);
    } finally {
      await image.cleanup();
    }
    await waitForIdle();
    const reference = `${proxy.host}/team/demand@${image.manifest.digest}`;
    const refused = await fetch(`${worker.url}/v1/signatures`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reference }),
    });
    expect(refused.status).toBe(401);
    const response = await api("/v1/signatures", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reference }),
    });
    expect(response.status, await response.clone().text()).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    await waitForIdle();
    const job = (await (await api(`/v1/jobs/${jobId}`)).json()) as Job;
    // Signed by the webhook already: the API job finds the idempotency records in the Durable Object.
    expect(job.status).toBe("succeeded");
    expect(Object.values(job.outcomes).map((o) => o?.status)).toEqual(["existing", "existing", "existing"]);
    await expectOneVerifiedSignaturePerFormat("team/demand", { ...image.manifest });
  });

  it("answers an unauthenticated webhook with 401 and makes no registry request", async () => {
    const requestsBefore = proxy.requests.length;
    const jobsBefore = (await jobs()).length;
    const wrong = await webhook(
      pushEvent(proxy.host, "team/app", subject.digest, "v1"),
      "wrong-token-0123456789",
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("content-type")).toContain("application/problem+json");
    expect((await webhook(pushEvent(proxy.host, "team/app", subject.digest, "v1"), null)).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1_500)); // longer than the queue's batch window
    expect(proxy.requests.length).toBe(requestsBefore);
    expect((await jobs()).length).toBe(jobsBefore);
  });

  it("answers the REST API from workerd: attachments, verify (bundles through @sigstore/verify), keys", async () => {
    const ref = encodeURIComponent(`${proxy.host}/team/app@${subject.digest}`);
    const attachments = (await (await api(`/v1/attachments?ref=${ref}`)).json()) as {
      attachments: Array<{ format?: string; signingKey?: string }>;
    };
    expect(attachments.attachments.map((a) => a.format).sort()).toEqual(["bundle", "cosign", "notary"]);
    for (const a of attachments.attachments) expect(a.signingKey).toBe(keyArn);
    const verify = await api(`/v1/verify?ref=${ref}`);
    const verdict = (await verify.json()) as {
      verified: boolean;
      formats: Array<{ format: string; verified: boolean }>;
    };
    expect(verdict, JSON.stringify(verdict)).toMatchObject({ verified: true });
    expect(verdict.formats.map((f) => [f.format, f.verified]).sort()).toEqual([
      ["bundle", true],
      ["cosign", true],
      ["notary", true],
    ]);
    const keys = (await (await api("/v1/keys")).json()) as { keys: Array<{ jwk: { kid: string } }> };
    const jwks = (await (await fetch(`${worker.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string; crv: string }>;
    };
    expect(jwks.keys.map((k) => [k.kid, k.crv])).toEqual([[keys.keys[0]!.jwk.kid, "P-256"]]);
    expect((await fetch(`${worker.url}/v1/jobs`)).status).toBe(401); // API tokens configured: jobs need one
  });
});
