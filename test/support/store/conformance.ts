// The behaviour every Store must show, whatever backs it (SQLite, D1, Durable Object, DynamoDB):
// run `describeStoreConformance` from the backend's integration test. Leases and TTLs use real time
// (a backend compares against its clock, which a test cannot fake on an emulator), kept short.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FormatName } from "../../../lib/formats/index.ts";
import { JobExistsError, JobNotFoundError, LockTimeoutError } from "../../../lib/store/errors.ts";
import type { SignatureKey, Store } from "../../../lib/store/store.ts";
import { type LockStore, withSubjectLock } from "../../../lib/store/subject-lock.ts";

/**
 * 20 critical sections on one subject through lib's lease protocol, each a read-modify-write of a
 * counter: `maxInside` above 1 is an overlap, `counter` below 20 a lost update.
 */
export async function concurrentSections(
  lockStore: (i: number) => LockStore,
  key: string,
  pauseMs: (i: number) => number,
): Promise<{ maxInside: number; counter: number }> {
  let inside = 0;
  let maxInside = 0;
  let counter = 0;
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      withSubjectLock(
        lockStore(i),
        key,
        async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          const before = counter;
          await sleep(pauseMs(i));
          counter = before + 1;
          inside--;
        },
        { minDelayMs: 1, maxDelayMs: 20, timeoutMs: 30_000 },
      ),
    ),
  );
  return { maxInside, counter };
}

export interface StoreUnderTest {
  /** One or more stores over the same state (several connections or clients): calls spread over them. */
  readonly stores: readonly Store[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const unique = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;
const DIGEST = `sha256:${"ab".repeat(32)}`;

function signatureKey(overrides: Partial<SignatureKey> = {}): SignatureKey {
  return {
    registry: "127.0.0.1:5000",
    repository: unique("team/app"),
    digest: DIGEST,
    format: "notary",
    keyId: "key-1",
    ...overrides,
  };
}

const RESULT = {
  signatureDigest: `sha256:${"cd".repeat(32)}`,
  artifactType: "application/vnd.cncf.notary.signature",
  createdAt: "2026-01-02T03:04:05Z",
};

export function describeStoreConformance(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`Store conformance: ${name}`, () => {
    let subject: StoreUnderTest;
    const store = (i = 0): Store => subject.stores[i % subject.stores.length]!;

    beforeAll(async () => {
      subject = await make();
    });
    afterAll(async () => {
      await subject?.close();
    });

    describeJobs(store);
    describeSignatures(store);
    describeLocks(store);
    describeDeliveries(store);
    describeRegistryFacts(store);
  });
}

function describeJobs(store: (i?: number) => Store): void {
  it("runs a job through its lifecycle, merging outcomes per format", async () => {
    const request = { registry: "127.0.0.1:5000", repository: "team/app", reference: "v1" };
    const created = await store().createJob({ request, source: "webhook:distribution" });
    expect(created).toMatchObject({ status: "queued", attempts: 0, request, source: "webhook:distribution" });
    expect(created.outcomes).toEqual({});
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(await store(1).getJob(created.id)).toEqual(created);

    const running = await store().updateJob(created.id, {
      status: "running",
      attempts: 1,
      digest: DIGEST,
      startedAt: "2026-01-01T00:00:00.000Z",
      lastError: "registry answered 503",
      outcomes: { notary: { status: "failed", detail: "503", at: "2026-01-01T00:00:01Z" } },
    });
    expect(running).toMatchObject({ status: "running", attempts: 1, lastError: "registry answered 503" });
    expect(running.request.digest).toBe(DIGEST);

    await store().updateJob(created.id, {
      outcomes: {
        cosign: { status: "signed", signatureDigest: RESULT.signatureDigest, at: "2026-01-01T00:00:02Z" },
      },
    });
    const done = await store().updateJob(created.id, {
      status: "succeeded",
      lastError: null,
      finishedAt: "2026-01-01T00:00:03.000Z",
      outcomes: {
        notary: { status: "signed", signatureDigest: RESULT.signatureDigest, at: "2026-01-01T00:00:03Z" },
      },
    });
    expect(done.lastError).toBeUndefined();
    expect(done.startedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(done.finishedAt).toBe("2026-01-01T00:00:03.000Z");
    // The replaced notary outcome keeps nothing of the failed one (no stale `detail`); cosign is kept.
    expect(done.outcomes).toEqual({
      notary: { status: "signed", signatureDigest: RESULT.signatureDigest, at: "2026-01-01T00:00:03Z" },
      cosign: { status: "signed", signatureDigest: RESULT.signatureDigest, at: "2026-01-01T00:00:02Z" },
    });
    expect(done.attempts).toBe(1);
    expect(await store(1).getJob(created.id)).toEqual(done);
  });

  it("keeps a dead letter's reason", async () => {
    const job = await store().createJob({
      request: { registry: "127.0.0.1:5000", repository: "team/app", reference: DIGEST, digest: DIGEST },
    });
    await store().updateJob(job.id, { status: "dead", attempts: 5, lastError: "manifest unknown (404)" });
    const dead = await store(1).listJobs({ status: "dead", limit: 500 });
    expect(dead.find((j) => j.id === job.id)).toMatchObject({
      status: "dead",
      attempts: 5,
      lastError: "manifest unknown (404)",
    });
  });

  it("refuses a duplicate job id and reports unknown jobs", async () => {
    const id = unique("job");
    const request = { registry: "ghcr.io", repository: "org/app", reference: "latest" };
    await store().createJob({ id, request });
    await expect(store(1).createJob({ id, request })).rejects.toBeInstanceOf(JobExistsError);
    expect(await store().getJob(unique("missing"))).toBeUndefined();
    await expect(store().updateJob(unique("missing"), { status: "running" })).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
  });

  it("lists jobs newest first, filtered by status, within the limit", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(3); // distinct createdAt milliseconds, also from jobs of earlier tests
      const job = await store().createJob({
        request: { registry: "127.0.0.1:5000", repository: "team/list", reference: `t${i}` },
        status: "failed",
      });
      ids.push(job.id);
    }
    const failed = await store(1).listJobs({ status: "failed", limit: 2 });
    expect(failed.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const all = await store().listJobs({ limit: 3 });
    expect(all.map((j) => j.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(
      (await store().listJobs({ status: "queued", limit: 500 })).every((j) => j.status === "queued"),
    ).toBe(true);
  });
}

function describeSignatures(store: (i?: number) => Store): void {
  it("grants a signature claim to exactly one of 50 concurrent claimers, then says done to all", async () => {
    const key = signatureKey();
    const owners = Array.from({ length: 50 }, (_, i) => `worker-${i}`);
    const results = await Promise.all(owners.map((owner, i) => store(i).claimSignature(key, owner, 30_000)));
    expect(results.filter((r) => r === "claimed")).toHaveLength(1);
    expect(results.filter((r) => r === "busy")).toHaveLength(49);

    const winner = owners[results.indexOf("claimed")]!;
    expect(await store().claimSignature(key, winner, 30_000)).toBe("claimed"); // the owner renews
    const record = await store().completeSignature(key, RESULT);
    expect(record).toEqual({ ...key, ...RESULT });
    const after = await Promise.all(owners.map((owner, i) => store(i).claimSignature(key, owner, 30_000)));
    expect(after.every((r) => r === "done")).toBe(true);
    expect(await store(1).getSignature(key)).toEqual({ ...key, ...RESULT });
  });

  it("lets a new owner claim once the lease has expired, and only the holder release", async () => {
    const key = signatureKey({ format: "cosign" });
    expect(await store().claimSignature(key, "crashed", 150)).toBe("claimed");
    expect(await store(1).claimSignature(key, "next", 150)).toBe("busy");
    expect(await store().getSignature(key)).toBeUndefined(); // pending claims are not signatures
    await sleep(200);
    expect(await store(1).claimSignature(key, "next", 30_000)).toBe("claimed");
    expect(await store().releaseSignature(key, "crashed")).toBe(false);
    expect(await store().claimSignature(key, "third", 30_000)).toBe("busy");
    expect(await store(1).releaseSignature(key, "next")).toBe(true);
    expect(await store().claimSignature(key, "third", 30_000)).toBe("claimed");
  });

  it("keeps the first completion and records signatures found without a claim", async () => {
    const key = signatureKey({ format: "bundle" });
    const first = await store().completeSignature(key, RESULT);
    const second = await store(1).completeSignature(key, {
      ...RESULT,
      signatureDigest: `sha256:${"ef".repeat(32)}`,
    });
    expect(second).toEqual(first);
    expect(await store().releaseSignature(key, "anyone")).toBe(false);
    expect(await store().claimSignature(key, "anyone", 1_000)).toBe("done");
  });

  it("keys signatures on every field and lists a subject's signatures", async () => {
    const base = signatureKey();
    const variants: SignatureKey[] = [
      base,
      ...(["cosign", "bundle"] as FormatName[]).map((format) => ({ ...base, format })),
      { ...base, keyId: "key-2" },
      { ...base, digest: `sha256:${"01".repeat(32)}` },
      { ...base, registry: "ghcr.io" },
      { ...base, repository: `${base.repository}/other` },
    ];
    for (const key of variants) expect(await store().claimSignature(key, "owner", 30_000)).toBe("claimed");
    for (const key of variants) await store().completeSignature(key, RESULT);
    const listed = await store(1).listSignatures({
      registry: base.registry,
      repository: base.repository,
      digest: DIGEST,
    });
    const seen = listed.map((r) => `${r.format}/${r.keyId}`).sort();
    expect(seen).toEqual(["bundle/key-1", "cosign/key-1", "notary/key-1", "notary/key-2"]);
  });

  it("stores hostile key text verbatim (parameters, never SQL)", async () => {
    const key = signatureKey({ repository: "a'b\"; DROP TABLE signatures;--", keyId: "ключ 🔑 %_\\" });
    expect(await store().claimSignature(key, "o'wner", 30_000)).toBe("claimed");
    await store().completeSignature(key, RESULT);
    expect(await store(1).getSignature(key)).toEqual({ ...key, ...RESULT });
    expect(await store().getSignature({ ...key, keyId: "ключ 🔑 %_" })).toBeUndefined();
  });
}

function describeLocks(store: (i?: number) => Store): void {
  it("grants a lock to one owner at a time and lets only the holder release it", async () => {
    const key = unique("subject");
    expect(await store().acquireLock(key, "a", 30_000)).toBe(true);
    expect(await store(1).acquireLock(key, "b", 30_000)).toBe(false);
    expect(await store().acquireLock(key, "a", 30_000)).toBe(true); // renewal
    expect(await store(1).releaseLock(key, "b")).toBe(false);
    expect(await store().releaseLock(key, "a")).toBe(true);
    expect(await store(1).acquireLock(key, "b", 30_000)).toBe(true);
  });

  it("lets a stale lock expire", async () => {
    const key = unique("subject");
    expect(await store().acquireLock(key, "crashed", 150)).toBe(true);
    expect(await store(1).acquireLock(key, "next", 30_000)).toBe(false);
    await sleep(200);
    expect(await store(1).acquireLock(key, "next", 30_000)).toBe(true);
    expect(await store().releaseLock(key, "crashed")).toBe(false);
  });

  it("never overlaps 20 concurrent critical sections on one subject", async () => {
    const key = unique("subject");
    const { maxInside, counter } = await concurrentSections(store, key, (i) => 1 + (i % 4));
    expect(maxInside).toBe(1);
    expect(counter).toBe(20);
    expect(await store().acquireLock(key, "after", 1_000)).toBe(true); // every section released
  });

  it("gives up with LockTimeoutError while another owner holds the lock", async () => {
    const key = unique("subject");
    expect(await store().acquireLock(key, "holder", 30_000)).toBe(true);
    let ran = false;
    const attempt = withSubjectLock(
      store(1),
      key,
      async () => {
        ran = true;
      },
      { timeoutMs: 150, minDelayMs: 5, maxDelayMs: 20 },
    );
    await expect(attempt).rejects.toBeInstanceOf(LockTimeoutError);
    expect(ran).toBe(false);
  });
}

function describeDeliveries(store: (i?: number) => Store): void {
  it("reports a redelivery as seen within the TTL, and new again after it", async () => {
    const id = unique("delivery");
    expect(await store().seenDelivery("github", id, 150)).toBe(false);
    expect(await store(1).seenDelivery("github", id, 150)).toBe(true);
    expect(await store().seenDelivery("harbor", id, 150)).toBe(false); // per source
    await sleep(200);
    expect(await store(1).seenDelivery("github", id, 150)).toBe(false);
    expect(await store().seenDelivery("github", id, 150)).toBe(true);
  });

  it("lets exactly one of many concurrent deliveries of one id through", async () => {
    const id = unique("delivery");
    const seen = await Promise.all(
      Array.from({ length: 30 }, (_, i) => store(i).seenDelivery("quay", id, 30_000)),
    );
    expect(seen.filter((s) => !s)).toHaveLength(1);
  });
}

function describeRegistryFacts(store: (i?: number) => Store): void {
  it("remembers what was learnt of a registry for another instance, replaced as a whole, until it expires", async () => {
    const host = `${unique("registry")}.example:5000`;
    expect(await store().registryFacts(host)).toBeUndefined();
    await store().rememberRegistryFacts(host, { referrersApi: false }, 60_000);
    expect(await store(1).registryFacts(host)).toEqual({ referrersApi: false });
    await store(1).rememberRegistryFacts(host, { referrersApi: true, conditionalWrites: false }, 150);
    expect(await store().registryFacts(host)).toEqual({ referrersApi: true, conditionalWrites: false });
    expect(await store().registryFacts(`other.${host}`)).toBeUndefined();
    await sleep(200);
    expect(await store(1).registryFacts(host)).toBeUndefined();
  });
}
