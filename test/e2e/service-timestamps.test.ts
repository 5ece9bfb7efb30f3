// `countersign serve` with a `timestamp` section and a `verification` section, end to end on a real
// registry and a real TSA (OpenSSL `ts -reply`): every signature the service writes carries a timestamp;
// while the TSA is down the job retries and writes nothing, then signs once it is back; GET /v1/verify
// judges another signer's timestamped signatures with the configured keys, stores and trusted root.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../../functions/node/service.ts";
import { profileFor } from "../../lib/artifacts/profiles.ts";
import { signSubject } from "../../lib/attach/sign-subject.ts";
import { parseConfig } from "../../lib/config/load.ts";
import { httpTimestamper } from "../../lib/formats/timestamp/client.ts";
import { silentLogger } from "../../lib/observability/logger.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { InProcessSubjectLock } from "../../lib/oci/subject-lock.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import { waitForIdleJobs } from "../support/app/idle-jobs.ts";
import { countersignWebhook, type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { issueCertificate } from "../support/signing/test-pki.ts";
import { startTestTsa, type TestTsa } from "../support/tsa/tsa.ts";

const WEBHOOK_TOKEN = "e2e-timestamp-token-0123456789";
let dir: string;
let registry: RunningRegistry;
let service: RunningService;
let tsa: TestTsa;
let image: BuiltImage;
let other: LocalSigner;
let otherCertificate: Uint8Array;

function pem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${body.trimEnd()}\n-----END ${label}-----\n`;
}

async function verifyReport(reference: string) {
  const response = await fetch(`${service.url}/v1/verify?ref=${encodeURIComponent(reference)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as {
    verified: boolean;
    formats: { format: string; verified: boolean; signatures: { ok: boolean; detail: string }[] }[];
  };
}

function waitForIdle() {
  return waitForIdleJobs({
    jobs: () => service.store.listJobs({ limit: 500 }),
    pending: () => service.queue.size > 0,
    untilFirstJob: true,
    timeoutMs: 60_000,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "countersign-e2e-tsa-"));
  tsa = await startTestTsa();
  image = await buildImage({ layers: 1 });
  other = await LocalSigner.generate("ES256");
  otherCertificate = await issueCertificate({ commonName: "another signer", subjectKey: other });
  const config = await parseConfig(
    {
      dataDir: join(dir, "data"),
      registries: [{ host: "127.0.0.1:*" }],
      webhooks: [
        { name: "distribution", kind: "distribution", settings: { auth: { bearer: WEBHOOK_TOKEN } } },
      ],
      queue: { concurrency: 2, maxAttempts: 50, backoff: { initialMs: 100, maxMs: 300 } },
      timestamp: { url: tsa.url, rootCertificate: tsa.rootFile },
      verification: {
        publicKeys: [(await other.publicKey()).pem],
        trustStore: [pem("CERTIFICATE", otherCertificate)],
        tsaTrustStore: [tsa.rootFile],
        trustedRoot: {
          mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
          tlogs: [],
          certificateAuthorities: [],
          ctlogs: [],
          timestampAuthorities: [
            {
              uri: tsa.url,
              certChain: {
                certificates: [tsa.leafDer, tsa.rootDer].map((der) => ({
                  rawBytes: Buffer.from(der).toString("base64"),
                })),
              },
              validFor: { start: "2020-01-01T00:00:00Z" },
            },
          ],
        },
        requireSignedTimestamp: true,
      },
    },
    { env: () => undefined, readFile: (file) => readFile(resolve(dir, file), "utf8") },
  );
  service = await startService(config, { port: 0, logger: silentLogger });
  registry = await startRegistry({
    notifications: [countersignWebhook(`${service.url}/webhooks/distribution`, WEBHOOK_TOKEN)],
  });
}, 60_000);

afterAll(async () => {
  await service?.close();
  await registry?.stop();
  await tsa?.stop();
  await image?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("countersign serve with a TSA", () => {
  it("timestamps every signature it writes, and /v1/verify requires and checks the timestamps", async () => {
    await pushImage(image.dir, `${registry.host}/stamped/app:v1`, { tag: image.tag });
    await waitForIdle();
    const report = await verifyReport(`${registry.host}/stamped/app:v1`);
    expect(report.verified, JSON.stringify(report)).toBe(true);
    const details = Object.fromEntries(report.formats.map((f) => [f.format, f.signatures[0]?.detail]));
    expect(details.notary).toMatch(/; timestamp \d{4}-/);
    expect(details.cosign).toMatch(/, timestamp \d{4}-/);
    expect(details.bundle).toMatch(/, 1 timestamp verified/);
    expect(tsa.requests()).toBe(3);
  });

  it("while the TSA fails the job retries and writes nothing; once it answers, the image is signed", async () => {
    tsa.failWith(503);
    await pushImage(image.dir, `${registry.host}/stamped/outage:v1`, { tag: image.tag });
    const deadline = Date.now() + 30_000;
    let retried: Awaited<ReturnType<typeof service.store.listJobs>>[number] | undefined;
    while (Date.now() < deadline && retried === undefined) {
      const jobs = await service.store.listJobs({ limit: 500 });
      retried = jobs.find((job) => job.request.repository === "stamped/outage" && job.attempts >= 2);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(retried?.lastError).toMatch(/TimestampAuthorityError: the TSA at .* answered HTTP 503/);
    expect(retried?.status).not.toBe("dead");
    const repository = new RegistryClient(registry.host).repository("stamped/outage");
    expect(await repository.referrers(image.manifest)).toEqual([]);
    tsa.failWith(undefined);
    await waitForIdle();
    expect((await verifyReport(`${registry.host}/stamped/outage:v1`)).verified).toBe(true);
  }, 60_000);

  it("judges another signer's timestamped signatures with the configured material, and untimestamped ones as cosign and notation do", async () => {
    const client = new RegistryClient(registry.host);
    const stamped = client.repository("others/stamped");
    const bare = client.repository("others/bare");
    await pushImage(image.dir, `${registry.host}/others/stamped:v1`, { tag: image.tag });
    await pushImage(image.dir, `${registry.host}/others/bare:v1`, { tag: image.tag });
    await waitForIdle();
    const timestamper = httpTimestamper({ url: tsa.url, roots: [tsa.rootDer] });
    const lock = new InProcessSubjectLock();
    for (const [repository, stamp] of [
      [stamped, true],
      [bare, false],
    ] as const) {
      for (const format of ["notary", "cosign", "bundle"] as const) {
        await signSubject({
          repository,
          subject: image.manifest,
          format,
          signer: other,
          certificateChain: [otherCertificate],
          profile: profileFor,
          lock,
          created: new Date(),
          ...(stamp && { timestamper }),
        });
      }
    }
    const good = await verifyReport(`${registry.host}/others/stamped:v1`);
    for (const format of good.formats) {
      // The service's own signature and the other signer's: both verify.
      expect(
        format.signatures.map((s) => s.ok),
        JSON.stringify(format),
      ).toEqual([true, true]);
    }
    const bad = await verifyReport(`${registry.host}/others/bare:v1`);
    for (const format of bad.formats) {
      const theirs = format.signatures.filter((s) => !s.ok);
      // cosign's legacy path, --use-signed-timestamps or not, asks nothing of a .sig layer without one.
      if (format.format === "cosign") expect(theirs, JSON.stringify(format)).toEqual([]);
      else expect(theirs[0]?.detail, format.format).toMatch(/^timestamp: /);
    }
  }, 60_000);
});
