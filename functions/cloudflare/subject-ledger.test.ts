import { describe, expect, it } from "vitest";
import type { SignatureKey } from "../../lib/store/store.ts";
import { LedgerInputError, type LedgerStorage, SubjectLedger, subjectName } from "./subject-ledger.ts";

/** DurableObjectStorage's list/put/delete over a Map, values structured-cloned as the real one does. */
function mapStorage(entries = new Map<string, unknown>()): LedgerStorage & { entries: Map<string, unknown> } {
  return {
    entries,
    async list<T>({ prefix }: { prefix: string }) {
      return new Map(
        [...entries].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k, structuredClone(v) as T]),
      );
    },
    async put(key, value) {
      entries.set(key, structuredClone(value));
    },
    async delete(key) {
      return entries.delete(key);
    },
  };
}

const key: SignatureKey = {
  registry: "127.0.0.1:5000",
  repository: "team/app",
  digest: `sha256:${"ab".repeat(32)}`,
  format: "notary",
  keyId: "key-1",
};
const result = {
  signatureDigest: `sha256:${"cd".repeat(32)}`,
  artifactType: "application/vnd.cncf.notary.signature",
  createdAt: "2026-01-02T03:04:05Z",
};

describe("SubjectLedger", () => {
  it("names a subject's Durable Object as lib/oci names its fallback-index lock", () => {
    expect(subjectName(key)).toBe(`127.0.0.1:5000/team/app@sha256:${"ab".repeat(32)}`);
  });

  it("keeps claims and completed signatures across an eviction (state reloaded from storage)", async () => {
    const storage = mapStorage();
    const first = await SubjectLedger.open(storage);
    expect(await first.claimSignature(key, "job-1", 30_000)).toBe("claimed");
    const reopened = await SubjectLedger.open(storage);
    expect(await reopened.claimSignature(key, "job-2", 30_000)).toBe("busy");
    expect(await reopened.completeSignature({ ...key, extra: "dropped" } as SignatureKey, result)).toEqual({
      ...key,
      ...result,
    });
    const again = await SubjectLedger.open(storage);
    expect(await again.claimSignature(key, "job-3", 30_000)).toBe("done");
    expect(await again.listSignatures(key)).toEqual([{ ...key, ...result }]);
    // Only the key's own fields are persisted, whatever the RPC argument carried.
    expect(JSON.stringify([...storage.entries.values()])).not.toContain("dropped");
  });

  it("lets a claim be taken over only once its lease has run out on the object's clock", async () => {
    let now = 1_000;
    const ledger = await SubjectLedger.open(mapStorage(), () => now);
    expect(await ledger.claimSignature(key, "crashed", 100)).toBe("claimed");
    now += 99;
    expect(await ledger.claimSignature(key, "next", 100)).toBe("busy");
    now += 1;
    expect(await ledger.claimSignature(key, "next", 100)).toBe("claimed");
    expect(await ledger.releaseSignature(key, "crashed")).toBe(false);
    expect(await ledger.releaseSignature(key, "next")).toBe(true);
    expect(await ledger.getSignature(key)).toBeUndefined();
  });

  it("refuses a lease that is not a positive integer of milliseconds", async () => {
    const ledger = await SubjectLedger.open(mapStorage());
    await expect(ledger.claimSignature(key, "o", 0)).rejects.toBeInstanceOf(LedgerInputError);
    await expect(ledger.acquireLock("k", "o", 1.5, 0)).rejects.toBeInstanceOf(LedgerInputError);
    await expect(ledger.acquireLock("k", "o", 1_000, -1)).rejects.toBeInstanceOf(LedgerInputError);
  });

  it("wakes every waiter on release; one takes the lease, the others keep waiting", async () => {
    const ledger = await SubjectLedger.open(mapStorage());
    expect(await ledger.acquireLock("subject", "holder", 30_000, 0)).toBe(true);
    const waiters = ["a", "b", "c"].map((owner) => ledger.acquireLock("subject", owner, 30_000, 300));
    await new Promise((r) => setTimeout(r, 20));
    expect(await ledger.releaseLock("subject", "holder")).toBe(true);
    const results = await Promise.all(waiters);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await ledger.releaseLock("subject", "holder")).toBe(false);
  });

  it("wakes a waiter when the holder's lease expires, without a release", async () => {
    const ledger = await SubjectLedger.open(mapStorage());
    expect(await ledger.acquireLock("subject", "crashed", 50, 0)).toBe(true);
    const started = Date.now();
    expect(await ledger.acquireLock("subject", "next", 30_000, 5_000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
