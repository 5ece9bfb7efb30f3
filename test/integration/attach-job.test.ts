// runAttachJob against a real distribution 2.8 registry (images built by umoci, pushed by skopeo), the
// real SQLite store and a local signer: every format attached and verifying, index children by policy
// and by the job's own `recursive`, one record per subject × format, and re-runs that write nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAttachJob } from "../../lib/attach/job.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
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
import {
  buildAndPushImage,
  buildImage,
  type PushedIndex,
  pushImage,
  pushMultiArchIndex,
} from "../support/registry/images.ts";

let registry: RunningRegistry;
let h: AttachHarness;
let image: Descriptor;

beforeAll(async () => {
  registry = await startRegistry();
  h = await createAttachHarness();
  image = await buildAndPushImage(`${registry.host}/team/app:v1`);
});

afterAll(async () => {
  await h?.close();
  await registry?.stop();
});

async function signatureCounts(repository: string, digest: string) {
  const records = await h.store.listSignatures({ registry: registry.host, repository, digest });
  return Object.fromEntries(ALL_FORMATS.map((f) => [f, records.filter((r) => r.format === f).length]));
}

function children(pushed: PushedIndex): Descriptor[] {
  return pushed.manifests.map((m) => ({ mediaType: MediaType.OciManifest, digest: m.digest, size: m.size }));
}

describe("runAttachJob on a single image", () => {
  it("signs and attaches every format, records the outcomes and one signature per format", async () => {
    h.reset();
    const job = await h.job(digestRequest(registry.host, "team/app", image.digest));
    expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });

    const stored = await h.store.getJob(job.jobId);
    expect(stored?.status).toBe("succeeded");
    expect(stored?.attempts).toBe(1);
    expect(stored?.lastError).toBeUndefined();
    expect(stored?.finishedAt).toBeDefined();
    const records = await h.store.listSignatures({
      registry: registry.host,
      repository: "team/app",
      digest: image.digest,
    });
    expect(records.map((r) => r.format).sort()).toEqual(["bundle", "cosign", "notary"]);
    for (const format of ALL_FORMATS) {
      const outcome = stored?.outcomes[format];
      const record = records.find((r) => r.format === format);
      expect(outcome?.status, format).toBe("signed");
      expect(outcome?.signatureDigest, format).toBe(record?.signatureDigest);
      expect(record?.keyId).toBe(h.signer.keyId);
    }
    // The referrers went through the tag-schema index (distribution 2.8 has no referrers API).
    const entries = await fallbackEntries(registry.host, "team/app", image.digest);
    expect(entries.map((e) => e.artifactType).sort()).toEqual([
      MediaType.NotarySignature,
      MediaType.SigstoreBundle,
    ]);
    expect(entries.map((e) => e.digest).sort()).toEqual(
      records
        .filter((r) => r.format !== "cosign")
        .map((r) => r.signatureDigest)
        .sort(),
    );
    for (const report of await verifyOnRegistry(registry.host, "team/app", image, h)) {
      expect(report.signatures, report.format).toHaveLength(1);
      expect(report.verified, `${report.format}: ${report.signatures[0]?.detail}`).toBe(true);
    }
    expect(h.writes().length).toBeGreaterThan(0);
  });

  it("a second run of the same job finds every signature existing and writes nothing", async () => {
    const first = (await h.store.listJobs({ limit: 500 })).find((j) => j.request.digest === image.digest)!;
    h.reset();
    const result = await runAttachJob({ jobId: first.id, request: first.request }, h.deps(), 2);
    expect(result).toEqual({ kind: "done" });
    const stored = await h.store.getJob(first.id);
    expect(stored?.status).toBe("succeeded");
    expect(stored?.attempts).toBe(2);
    for (const format of ALL_FORMATS) {
      expect(stored?.outcomes[format]?.status, format).toBe("existing");
      expect(stored?.outcomes[format]?.signatureDigest, format).toBe(first.outcomes[format]?.signatureDigest);
    }
    expect(h.writes()).toEqual([]);
    expect(await signatureCounts("team/app", image.digest)).toEqual({ notary: 1, cosign: 1, bundle: 1 });
  });

  it("a redelivery (a new job for the same digest, by tag) is idempotent too", async () => {
    h.reset();
    const job = await h.job({ registry: registry.host, repository: "team/app", reference: "v1" });
    expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });
    const stored = await h.store.getJob(job.jobId);
    // The tag was resolved once, and the digest recorded on the job.
    expect(stored?.request.digest).toBe(image.digest);
    for (const format of ALL_FORMATS) expect(stored?.outcomes[format]?.status).toBe("existing");
    expect(h.writes()).toEqual([]);
    expect(await fallbackEntries(registry.host, "team/app", image.digest)).toHaveLength(2);
    expect(await cosignLayerCount(registry.host, "team/app", image.digest)).toBe(1);
  });

  it("writes only the formats the job names", async () => {
    const built = await buildImage({ layers: 1 });
    try {
      await pushImage(built.dir, `${registry.host}/team/only:v1`);
    } finally {
      await built.cleanup();
    }
    const job = await h.job(digestRequest(registry.host, "team/only", built.manifest.digest), {
      formats: ["cosign"],
    });
    expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });
    const stored = await h.store.getJob(job.jobId);
    expect(Object.keys(stored?.outcomes ?? {})).toEqual(["cosign"]);
    expect(await signatureCounts("team/only", built.manifest.digest)).toEqual({
      notary: 0,
      cosign: 1,
      bundle: 0,
    });
    expect(await fallbackEntries(registry.host, "team/only", built.manifest.digest)).toEqual([]);
  });
});

describe("concurrent duplicates", () => {
  it("the same job delivered twice at once (a queue's at-least-once redelivery): one signature per format", async () => {
    const subject = await buildAndPushImage(`${registry.host}/team/twice:v1`);
    const job = await h.job(digestRequest(registry.host, "team/twice", subject.digest));
    const results = await Promise.all([runAttachJob(job, h.deps(), 1), runAttachJob(job, h.deps(), 2)]);
    // One run signs; the other is told to come back (or finds everything existing).
    expect(results.some((r) => r.kind === "done")).toBe(true);
    for (const result of results.filter((r) => r.kind === "retry")) {
      expect(await runAttachJob(job, h.deps(), 3)).toEqual({ kind: "done" });
      expect(result.delayMs).toBeGreaterThan(0);
    }
    expect((await h.store.getJob(job.jobId))?.status).toBe("succeeded");
    expect(await signatureCounts("team/twice", subject.digest)).toEqual({ notary: 1, cosign: 1, bundle: 1 });
    expect(await fallbackEntries(registry.host, "team/twice", subject.digest)).toHaveLength(2);
    expect(await cosignLayerCount(registry.host, "team/twice", subject.digest)).toBe(1);
  });

  it("different jobs for one digest at once: one signature per format", async () => {
    const subject = await buildAndPushImage(`${registry.host}/team/many:v1`);
    const jobs = await Promise.all(
      Array.from({ length: 4 }, () => h.job(digestRequest(registry.host, "team/many", subject.digest))),
    );
    let pending = jobs.map((job) => ({ job, attempt: 1 }));
    while (pending.length > 0) {
      const results = await Promise.all(pending.map((p) => runAttachJob(p.job, h.deps(), p.attempt)));
      pending = pending
        .filter((_, i) => results[i]?.kind === "retry")
        .map((p) => ({ ...p, attempt: p.attempt + 1 }));
    }
    for (const job of jobs) expect((await h.store.getJob(job.jobId))?.status).toBe("succeeded");
    expect(await signatureCounts("team/many", subject.digest)).toEqual({ notary: 1, cosign: 1, bundle: 1 });
    expect(await fallbackEntries(registry.host, "team/many", subject.digest)).toHaveLength(2);
    expect(await cosignLayerCount(registry.host, "team/many", subject.digest)).toBe(1);
  });
});

describe("runAttachJob on an image index", () => {
  let pushed: PushedIndex;

  beforeAll(async () => {
    pushed = await pushMultiArchIndex(registry.host, "team/multi:v1", ["linux/amd64", "linux/arm64/v8"]);
  });

  it("signIndexChildren false: the index only", async () => {
    h.reset();
    const job = await h.job(digestRequest(registry.host, "team/multi", pushed.index.digest));
    expect(await runAttachJob(job, h.deps({ signIndexChildren: false }))).toEqual({ kind: "done" });
    const stored = await h.store.getJob(job.jobId);
    for (const format of ALL_FORMATS) {
      expect(stored?.outcomes[format]?.status).toBe("signed");
      expect(stored?.outcomes[format]?.detail).toBeUndefined();
    }
    expect(await signatureCounts("team/multi", pushed.index.digest)).toEqual({
      notary: 1,
      cosign: 1,
      bundle: 1,
    });
    for (const child of children(pushed)) {
      expect(await signatureCounts("team/multi", child.digest)).toEqual({ notary: 0, cosign: 0, bundle: 0 });
      expect(await fallbackEntries(registry.host, "team/multi", child.digest)).toEqual([]);
    }
  });

  it("job.recursive true overrides signIndexChildren false: the children are signed, the index exists", async () => {
    h.reset();
    const job = await h.job(digestRequest(registry.host, "team/multi", pushed.index.digest), {
      recursive: true,
    });
    expect(await runAttachJob(job, h.deps({ signIndexChildren: false }))).toEqual({ kind: "done" });
    const stored = await h.store.getJob(job.jobId);
    for (const format of ALL_FORMATS) {
      // At least one subject (the children) got a new signature.
      expect(stored?.outcomes[format]?.status).toBe("signed");
      expect(stored?.outcomes[format]?.detail).toBe("3 manifests (index and children)");
    }
    for (const subject of [pushed.index, ...children(pushed)]) {
      expect(await signatureCounts("team/multi", subject.digest), subject.digest).toEqual({
        notary: 1,
        cosign: 1,
        bundle: 1,
      });
      for (const report of await verifyOnRegistry(registry.host, "team/multi", subject, h)) {
        expect(report.signatures, `${report.format} ${subject.digest}`).toHaveLength(1);
        expect(report.verified, `${report.format} ${subject.digest}`).toBe(true);
      }
    }
  });

  it("signIndexChildren true signs the children; job.recursive false overrides it", async () => {
    const other = await pushMultiArchIndex(registry.host, "team/multi2:v1", [
      "linux/amd64",
      "linux/arm64/v8",
    ]);
    const request = digestRequest(registry.host, "team/multi2", other.index.digest);
    const flat = await h.job(request, { recursive: false });
    expect(await runAttachJob(flat, h.deps({ signIndexChildren: true }))).toEqual({ kind: "done" });
    for (const child of children(other)) {
      expect(await signatureCounts("team/multi2", child.digest)).toEqual({ notary: 0, cosign: 0, bundle: 0 });
    }
    h.reset();
    const deep = await h.job(request);
    expect(await runAttachJob(deep, h.deps({ signIndexChildren: true }))).toEqual({ kind: "done" });
    for (const subject of [other.index, ...children(other)]) {
      expect(await signatureCounts("team/multi2", subject.digest), subject.digest).toEqual({
        notary: 1,
        cosign: 1,
        bundle: 1,
      });
      expect(await fallbackEntries(registry.host, "team/multi2", subject.digest)).toHaveLength(2);
      expect(await cosignLayerCount(registry.host, "team/multi2", subject.digest)).toBe(1);
    }
    // Running the recursive job again: every subject × format exists, nothing is written.
    h.reset();
    expect(await runAttachJob(deep, h.deps({ signIndexChildren: true }), 2)).toEqual({ kind: "done" });
    const stored = await h.store.getJob(deep.jobId);
    for (const format of ALL_FORMATS) expect(stored?.outcomes[format]?.status).toBe("existing");
    expect(h.writes()).toEqual([]);
  });
});
