// End to end on one Node process: a real distribution 2.8 registry whose notifications point at
// `countersign serve`; skopeo pushes images built with umoci; signatures get attached and verify.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../../functions/node/service.ts";
import { verifySubject } from "../../lib/attach/verify-subject.ts";
import { parseConfig } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/schema.ts";
import { silentLogger } from "../../lib/observability/logger.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { waitForIdleJobs } from "../support/app/idle-jobs.ts";
import { parsePrometheusText } from "../support/app/prometheus-text.ts";
import { pushUnderManyTags } from "../support/registry/content.ts";
import { countersignWebhook, type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildImage, pushImage, pushMultiArchIndex } from "../support/registry/images.ts";
import { DISTRIBUTION_EVENTS_V1, distributionPushEnvelope } from "../support/webhooks/distribution-events.ts";

const WEBHOOK_TOKEN = "e2e-webhook-token-0123456789";

interface Outbound {
  readonly url: string;
  readonly method: string;
}

let dir: string;
let registry: RunningRegistry;
let service: RunningService;
let config: Config;
const outbound: Outbound[] = [];

async function waitForIdle(): Promise<void> {
  await waitForIdleJobs({
    jobs: () => service.store.listJobs({ limit: 500 }),
    pending: () => service.queue.size > 0,
    describe: () => "service did not become idle",
  });
}

function client(): RegistryClient {
  return new RegistryClient(registry.host);
}

async function fallbackEntries(repository: string, digest: string): Promise<Descriptor[]> {
  const index = await client().repository(repository).fallbackIndex(digest);
  return [...((index?.index.manifests ?? []) as Descriptor[])];
}

async function verifyAll(repository: string, subject: Descriptor) {
  const signerKey = await service.signer.publicKey();
  return verifySubject({
    target: client().repository(repository),
    subject,
    formats: ["notary", "cosign", "bundle"],
    material: { publicKeys: [signerKey.pem], trustStore: [...service.certificateChain] },
  });
}

function webhook(body: unknown, token: string | null = WEBHOOK_TOKEN): Promise<Response> {
  return fetch(`${service.url}/webhooks/distribution`, {
    method: "POST",
    headers: {
      "content-type": DISTRIBUTION_EVENTS_V1,
      ...(token !== null && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "countersign-e2e-"));
  config = await parseConfig(
    {
      dataDir: join(dir, "data"),
      registries: [{ host: "127.0.0.1:*" }],
      webhooks: [
        {
          name: "distribution",
          kind: "distribution",
          settings: { auth: { bearer: WEBHOOK_TOKEN } },
        },
      ],
      queue: { concurrency: 4, backoff: { initialMs: 100, maxMs: 1_000 } },
    },
    { env: () => undefined, readFile: async () => "" },
  );
  const recordingFetch: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    outbound.push({ url, method: init?.method ?? (input instanceof Request ? input.method : "GET") });
    return fetch(input, init);
  };
  service = await startService(config, { port: 0, logger: silentLogger, fetch: recordingFetch });
  registry = await startRegistry({
    notifications: [countersignWebhook(`${service.url}/webhooks/distribution`, WEBHOOK_TOKEN)],
  });
});

afterAll(async () => {
  await service?.close();
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("countersign serve, end to end", () => {
  let subject: Descriptor;

  it("signs a pushed single-arch image in every format, through the fallback index", async () => {
    const image = await buildImage({ layers: 2 });
    try {
      await pushImage(image.dir, `${registry.host}/team/app:v1`);
    } finally {
      await image.cleanup();
    }
    await waitForIdle();
    subject = { ...image.manifest };

    const entries = await fallbackEntries("team/app", subject.digest);
    expect(entries.map((e) => e.artifactType).sort()).toEqual([
      "application/vnd.cncf.notary.signature",
      "application/vnd.dev.sigstore.bundle.v0.3+json",
    ]);
    const reports = await verifyAll("team/app", subject);
    for (const report of reports) {
      expect(report.signatures, report.format).toHaveLength(1);
      expect(report.verified, `${report.format}: ${report.signatures[0]?.detail}`).toBe(true);
    }
  });

  it("pushing our own signatures creates no job and signs nothing (the registry reports our User-Agent)", async () => {
    const jobs = await service.store.listJobs({ limit: 500 });
    const signatureDigests = new Set(
      (await fallbackEntries("team/app", subject.digest)).map((e) => e.digest),
    );
    expect(signatureDigests.size).toBe(2);
    expect(jobs.filter((j) => signatureDigests.has(j.request.digest ?? ""))).toEqual([]);
    expect(jobs.filter((j) => /^sha256-/.test(j.request.reference))).toEqual([]);
    const records = await service.store.listSignatures({
      registry: registry.host,
      repository: "team/app",
      digest: [...signatureDigests][0]!,
    });
    expect(records).toEqual([]);
  });

  it("a webhook delivered three more times still gives one signature per format", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await webhook(distributionPushEnvelope(registry.host, "team/app", subject, "v1"));
      expect(response.status).toBe(202);
    }
    await waitForIdle();
    expect(await fallbackEntries("team/app", subject.digest)).toHaveLength(2);
    for (const report of await verifyAll("team/app", subject)) expect(report.signatures).toHaveLength(1);
  });

  it("20 concurrent pushes of different tags of one digest give one signature per format, the image fetched once or so", async () => {
    const registryGets = async () => {
      const families = parsePrometheusText(await (await fetch(`${service.url}/metrics`)).text());
      const samples = families.get("countersign_registry_requests_total")?.samples ?? [];
      return samples.filter((s) => s.labels.method === "GET").reduce((sum, s) => sum + s.value, 0);
    };
    const before = await registryGets();
    await pushUnderManyTags(registry.host, "team/app", "team/tags", subject.digest, 20);
    await waitForIdle();
    // One job signs (subject, index and .sig reads, their confirmations); the others find the manifest
    // in the client's digest-addressed cache and the signatures recorded. Before: one subject GET a tag.
    expect((await registryGets()) - before).toBeLessThanOrEqual(10);
    expect(await fallbackEntries("team/tags", subject.digest)).toHaveLength(2);
    const reports = await verifyAll("team/tags", subject);
    for (const report of reports) {
      expect(report.signatures, report.format).toHaveLength(1);
      expect(report.verified).toBe(true);
    }
  });

  it("signs a multi-arch index and each platform manifest", async () => {
    const pushed = await pushMultiArchIndex(registry.host, "team/multi:v1", [
      "linux/amd64",
      "linux/arm64/v8",
    ]);
    await waitForIdle();
    const subjects: Descriptor[] = [
      pushed.index,
      ...pushed.manifests.map((m) => ({
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: m.digest,
        size: m.size,
      })),
    ];
    for (const s of subjects) {
      const reports = await verifyAll("team/multi", s);
      for (const report of reports) {
        expect(report.signatures, `${report.format} ${s.digest}`).toHaveLength(1);
        expect(report.verified, `${report.format} ${s.digest}`).toBe(true);
      }
    }
  });

  it("an unauthenticated webhook gets 401 and causes zero registry requests", async () => {
    const before = outbound.length;
    const response = await webhook(
      distributionPushEnvelope(registry.host, "team/app", subject, "v1"),
      "wrong-token-0123456789",
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const missing = await webhook(distributionPushEnvelope(registry.host, "team/app", subject, "v1"), null);
    expect(missing.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(outbound.length).toBe(before);
  });

  it("a webhook naming an unconfigured host is refused with zero outbound requests", async () => {
    const before = outbound.length;
    const jobsBefore = (await service.store.listJobs({ limit: 500 })).length;
    const response = await webhook(
      distributionPushEnvelope("registry.evil.example:443", "team/app", subject, "v1"),
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as { accepted: string[]; ignored: unknown[] };
    expect(body.accepted).toEqual([]);
    expect(body.ignored.length).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(outbound.length).toBe(before);
    expect((await service.store.listJobs({ limit: 500 })).length).toBe(jobsBefore);
  });

  it("answers the REST endpoints as documented", async () => {
    const ref = `${registry.host}/team/app@${subject.digest}`;
    const attachments = (await (
      await fetch(`${service.url}/v1/attachments?ref=${encodeURIComponent(ref)}`)
    ).json()) as {
      attachments: Array<{ format?: string; signingKey?: string; foundVia: string }>;
    };
    expect(attachments.attachments.map((a) => a.format).sort()).toEqual(["bundle", "cosign", "notary"]);
    for (const a of attachments.attachments) expect(a.signingKey).toBe(service.signer.keyId);
    const verify = (await (
      await fetch(`${service.url}/v1/verify?ref=${encodeURIComponent(ref)}`)
    ).json()) as {
      verified: boolean;
      formats: Array<{ format: string; verified: boolean }>;
    };
    expect(verify.verified).toBe(true);
    expect(verify.formats.map((f) => f.format).sort()).toEqual(["bundle", "cosign", "notary"]);
    const jwks = (await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual([service.signer.keyId]);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/countersign_signatures_total\{format="notary"\} [1-9]/);
    expect(metrics).toMatch(/countersign_webhooks_total\{source="distribution",outcome="unauthorized"\} 2/);
    const openapi = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: object;
    };
    expect(openapi.openapi).toMatch(/^3\.1/);
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(["/v1/signatures", "/v1/attachments", "/v1/verify"]),
    );
  });
});
