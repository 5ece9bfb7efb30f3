// runAttachJob through a fault-injecting proxy in front of distribution 2.8: short bursts of 503s and
// cut connections are absorbed by the client's own retries; a longer outage gives `retry` with the
// configured backoff, releases every claim, and the next attempt writes exactly one signature per
// format; after `maxAttempts` the job is a dead letter with its reason (DESIGN.md, "Rules that hold
// everywhere").
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runAttachJob } from "../../lib/attach/job.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import type { SignatureKey } from "../../lib/store/store.ts";
import {
  ALL_FORMATS,
  type AttachHarness,
  cosignLayerCount,
  createAttachHarness,
  digestRequest,
  fallbackEntries,
  verifyOnRegistry,
} from "../support/attach/harness.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";
import { buildAndPushImage } from "../support/registry/images.ts";

const MANIFEST_PUT = { method: "PUT", path: /\/manifests\// };
const BACKOFF = { initialMs: 100, maxMs: 1_000, factor: 2 };

let registry: RunningRegistry;
let proxy: FaultProxy;
let h: AttachHarness;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  h = await createAttachHarness();
});

afterAll(async () => {
  await h?.close();
  await proxy?.stop();
  await registry?.stop();
});

beforeEach(() => {
  proxy.clear();
  h.reset();
});

/** A fresh single-arch image in `repository` (pushed directly, not through the proxy). */
async function pushFresh(repository: string): Promise<Descriptor> {
  return buildAndPushImage(`${registry.host}/${repository}:v1`);
}

function signatureKey(repository: string, digest: string, format: SignatureKey["format"]): SignatureKey {
  return { registry: proxy.host, repository, digest, format, keyId: h.signer.keyId };
}

/** Exactly one signature per format on the registry, verifying, and one record each in the store. */
async function expectOneSignatureEach(repository: string, subject: Descriptor): Promise<void> {
  const entries = await fallbackEntries(registry.host, repository, subject.digest);
  expect(entries.map((e) => e.artifactType).sort()).toEqual([
    MediaType.NotarySignature,
    MediaType.SigstoreBundle,
  ]);
  expect(await cosignLayerCount(registry.host, repository, subject.digest)).toBe(1);
  for (const report of await verifyOnRegistry(registry.host, repository, subject, h)) {
    expect(report.signatures, report.format).toHaveLength(1);
    expect(report.verified, `${report.format}: ${report.signatures[0]?.detail}`).toBe(true);
  }
  const records = await h.store.listSignatures({ registry: proxy.host, repository, digest: subject.digest });
  expect(records.map((r) => r.format).sort()).toEqual(["bundle", "cosign", "notary"]);
}

describe("transient failures the client's retries absorb", () => {
  it("two 503s on manifest PUTs: the job succeeds on its first attempt", async () => {
    const subject = await pushFresh("burst/put");
    proxy.inject({ kind: "status", status: 503 }, 2, MANIFEST_PUT);
    const job = await h.job(digestRequest(proxy.host, "burst/put", subject.digest));
    expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });
    expect(proxy.requests.filter((r) => r.fault === "status")).toHaveLength(2);
    expect(h.events.filter((e) => e.operation === "manifest.put" && e.status === 503)).toHaveLength(2);
    expect((await h.store.getJob(job.jobId))?.status).toBe("succeeded");
    await expectOneSignatureEach("burst/put", subject);
  });

  it("a connection cut mid-body on the subject's GET: retried, the job succeeds", async () => {
    const subject = await pushFresh("burst/cut");
    proxy.inject({ kind: "cut", afterBytes: 20 }, 2, {
      method: "GET",
      path: new RegExp(`/manifests/${subject.digest}$`),
    });
    const job = await h.job(digestRequest(proxy.host, "burst/cut", subject.digest));
    expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });
    expect(proxy.requests.filter((r) => r.fault === "cut")).toHaveLength(2);
    expect((await h.store.getJob(job.jobId))?.status).toBe("succeeded");
    await expectOneSignatureEach("burst/cut", subject);
  });
});

describe("an outage longer than the client's retries", () => {
  it("gives `retry` within the backoff, status failed with lastError, claims released; the next attempt signs once", async () => {
    const subject = await pushFresh("outage/app");
    proxy.inject({ kind: "status", status: 503 }, 1_000, MANIFEST_PUT);
    const job = await h.job(digestRequest(proxy.host, "outage/app", subject.digest));
    const deps = h.deps({ maxAttempts: 3, backoff: BACKOFF });

    const first = await runAttachJob(job, deps, 1);
    expect(first.kind).toBe("retry");
    // Attempt 1: ceiling = initialMs; "equal jitter" waits between half of it and all of it.
    const delay = (first as { delayMs: number }).delayMs;
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThanOrEqual(100);
    const failed = await h.store.getJob(job.jobId);
    expect(failed?.status).toBe("failed");
    expect(failed?.attempts).toBe(1);
    expect(failed?.lastError).toMatch(/503/);
    expect(failed?.finishedAt).toBeUndefined();
    for (const format of ALL_FORMATS) {
      expect(failed?.outcomes[format]?.status, format).toBe("failed");
      expect(failed?.outcomes[format]?.detail, format).toMatch(/503/);
      // Released: another owner can claim it at once (and gives it back).
      const key = signatureKey("outage/app", subject.digest, format);
      expect(await h.store.claimSignature(key, "probe", 60_000)).toBe("claimed");
      expect(await h.store.releaseSignature(key, "probe")).toBe(true);
    }
    expect(
      await h.store.listSignatures({
        registry: proxy.host,
        repository: "outage/app",
        digest: subject.digest,
      }),
    ).toEqual([]);

    // Still down for attempt 2: the delay doubles.
    const second = await runAttachJob(job, deps, 2);
    expect(second.kind).toBe("retry");
    const secondDelay = (second as { delayMs: number }).delayMs;
    expect(secondDelay).toBeGreaterThanOrEqual(100);
    expect(secondDelay).toBeLessThanOrEqual(200);

    proxy.clear();
    expect(await runAttachJob(job, deps, 3)).toEqual({ kind: "done" });
    const done = await h.store.getJob(job.jobId);
    expect(done?.status).toBe("succeeded");
    expect(done?.attempts).toBe(3);
    expect(done?.lastError).toBeUndefined();
    for (const format of ALL_FORMATS) expect(done?.outcomes[format]?.status, format).toBe("signed");
    await expectOneSignatureEach("outage/app", subject);
  });

  it("an outage of the fallback index and `.sig` tag writes only: the retry leaves no duplicate", async () => {
    const subject = await pushFresh("outage/tags");
    const hex = subject.digest.slice("sha256:".length);
    // The referrer manifests go through; the tag updates (index `sha256-<hex>`, `sha256-<hex>.sig`) fail.
    proxy.inject({ kind: "status", status: 503 }, 1_000, {
      method: "PUT",
      path: new RegExp(`/manifests/sha256-${hex}(\\.sig)?$`),
    });
    const job = await h.job(digestRequest(proxy.host, "outage/tags", subject.digest));
    const deps = h.deps({ maxAttempts: 3, backoff: BACKOFF });
    expect((await runAttachJob(job, deps, 1)).kind).toBe("retry");
    proxy.clear();
    expect(await runAttachJob(job, deps, 2)).toEqual({ kind: "done" });
    await expectOneSignatureEach("outage/tags", subject);
  });

  it("after maxAttempts the job is dead with the reason, and not retried", async () => {
    const subject = await pushFresh("outage/dead");
    proxy.inject({ kind: "status", status: 503 }, 1_000, MANIFEST_PUT);
    const job = await h.job(digestRequest(proxy.host, "outage/dead", subject.digest));
    const deps = h.deps({ maxAttempts: 2, backoff: BACKOFF });
    expect((await runAttachJob(job, deps, 1)).kind).toBe("retry");
    expect(await runAttachJob(job, deps, 2)).toEqual({ kind: "done" });
    const dead = await h.store.getJob(job.jobId);
    expect(dead?.status).toBe("dead");
    expect(dead?.attempts).toBe(2);
    expect(dead?.lastError).toMatch(/RegistryError: manifest\.put: PUT .* answered 503/);
    expect(dead?.finishedAt).toBeDefined();
    for (const format of ALL_FORMATS) expect(dead?.outcomes[format]?.status).toBe("failed");
  });
});

describe("which failure decides", () => {
  it("a permanent failure of one format does not dead-letter another format's transient one", async () => {
    const subject = await pushFresh("mixed/app");
    const hex = subject.digest.slice("sha256:".length);
    proxy.inject({ kind: "status", status: 403 }, 1_000, {
      method: "PUT",
      path: new RegExp(`/manifests/sha256-${hex}\\.sig$`),
    });
    proxy.inject({ kind: "status", status: 503 }, 1_000, {
      method: "PUT",
      path: new RegExp(`/manifests/sha256-${hex}$`),
    });
    const job = await h.job(digestRequest(proxy.host, "mixed/app", subject.digest));
    // cosign first, so its permanent failure is the first one met.
    const deps = h.deps({ formats: ["cosign", "notary", "bundle"], maxAttempts: 3, backoff: BACKOFF });
    const result = await runAttachJob(job, deps, 1);
    expect(result.kind).toBe("retry");
    const failed = await h.store.getJob(job.jobId);
    expect(failed?.status).toBe("failed");
    expect(failed?.outcomes.cosign?.detail).toMatch(/403/);
    expect(failed?.outcomes.notary?.detail).toMatch(/503/);
    expect(failed?.lastError).toMatch(/503/);
    proxy.clear();
    expect(await runAttachJob(job, deps, 2)).toEqual({ kind: "done" });
    await expectOneSignatureEach("mixed/app", subject);
  });

  it("a tag is resolved once: the retry signs the digest the first attempt found, though the tag moved", async () => {
    const first = await pushFresh("moved/app");
    proxy.inject({ kind: "status", status: 503 }, 1_000, MANIFEST_PUT);
    const job = await h.job({ registry: proxy.host, repository: "moved/app", reference: "v1" });
    const deps = h.deps({ maxAttempts: 3, backoff: BACKOFF });
    expect((await runAttachJob(job, deps, 1)).kind).toBe("retry");
    expect((await h.store.getJob(job.jobId))?.request.digest).toBe(first.digest);
    const second = await pushFresh("moved/app");
    expect(second.digest).not.toBe(first.digest);
    proxy.clear();
    // The queue redelivers the message as it was: without a digest.
    expect(await runAttachJob(job, deps, 2)).toEqual({ kind: "done" });
    await expectOneSignatureEach("moved/app", first);
    expect(
      await h.store.listSignatures({ registry: proxy.host, repository: "moved/app", digest: second.digest }),
    ).toEqual([]);
  });
});

describe("responses lost after the registry applied the write", () => {
  // The registry stores the tag, then the answer never reaches the client (a reset, a timeout at a
  // proxy). A HEAD of the tag shows the write landed; where even that is lost, the job cannot tell,
  // retries, and must not add a second signature.
  let lost: { remaining: number; pattern: RegExp; methods: readonly string[] };
  let lossy: AttachHarness;

  beforeAll(async () => {
    lost = { remaining: 0, pattern: /^$/, methods: [] };
    lossy = await createAttachHarness({
      wrapFetch: (inner) => async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        const method = init?.method ?? "GET";
        const response = await inner(input, init);
        if (lost.methods.includes(method) && lost.remaining > 0 && lost.pattern.test(new URL(url).pathname)) {
          lost.remaining--;
          await response.body?.cancel();
          throw new TypeError("fetch failed (response lost)");
        }
        return response;
      },
    });
  });

  afterAll(async () => {
    await lossy?.close();
  });

  async function expectOneEntryEach(subject: Descriptor, repository: string): Promise<void> {
    const entries = await fallbackEntries(registry.host, repository, subject.digest);
    expect(entries.map((e) => e.artifactType).sort()).toEqual([
      MediaType.NotarySignature,
      MediaType.SigstoreBundle,
    ]);
    expect(await cosignLayerCount(registry.host, repository, subject.digest)).toBe(1);
    const records = await lossy.store.listSignatures({
      registry: proxy.host,
      repository,
      digest: subject.digest,
    });
    expect(records.map((r) => r.format).sort()).toEqual(["bundle", "cosign", "notary"]);
    // The records name what is on the registry.
    for (const record of records.filter((r) => r.format !== "cosign")) {
      expect(entries.map((e) => e.digest)).toContain(record.signatureDigest);
    }
  }

  it("every answer to the tag writes lost, a HEAD shows they landed: the first attempt finishes, one entry each", async () => {
    const subject = await pushFresh("lost/landed");
    const hex = subject.digest.slice("sha256:".length);
    lost = { remaining: 1_000, pattern: new RegExp(`/manifests/sha256-${hex}(\\.sig)?$`), methods: ["PUT"] };
    const job = await lossy.job(digestRequest(proxy.host, "lost/landed", subject.digest));
    const deps = lossy.deps({ maxAttempts: 3, backoff: BACKOFF });
    expect(await runAttachJob(job, deps, 1)).toEqual({ kind: "done" });
    expect(lost.remaining).toBeLessThan(1_000);
    lost.remaining = 0;
    await expectOneEntryEach(subject, "lost/landed");
  });

  it("the HEADs lost too, so the job cannot tell: it retries, and the fallback index and `.sig` tag end with one entry each", async () => {
    const subject = await pushFresh("lost/tags");
    const hex = subject.digest.slice("sha256:".length);
    lost = {
      remaining: 1_000,
      pattern: new RegExp(`/manifests/sha256-${hex}(\\.sig)?$`),
      methods: ["PUT", "HEAD"],
    };
    const job = await lossy.job(digestRequest(proxy.host, "lost/tags", subject.digest));
    const deps = lossy.deps({ maxAttempts: 3, backoff: BACKOFF });
    expect((await runAttachJob(job, deps, 1)).kind).toBe("retry");
    // A write reached the registry, unrecorded.
    expect((await fallbackEntries(registry.host, "lost/tags", subject.digest)).length).toBeGreaterThan(0);
    lost.remaining = 0;
    expect(await runAttachJob(job, deps, 2)).toEqual({ kind: "done" });
    await expectOneEntryEach(subject, "lost/tags");
  });
});
