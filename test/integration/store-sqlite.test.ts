// SqlStore on node:sqlite, the embedded store of `countersign serve`: the conformance suite on a file
// (three connections sharing it) and in memory, plus threads racing on one file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../functions/node/sqlite-store.ts";
import type { SignatureKey } from "../../lib/store/store.ts";
import { describeStoreConformance } from "../support/store/conformance.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "countersign-store-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeStoreConformance("SqlStore on a node:sqlite file, three connections", async () => {
  const path = join(tempDir(), "nested", "countersign.db");
  const stores = [await openSqliteStore(path), await openSqliteStore(path), await openSqliteStore(path)];
  return {
    stores,
    close: async () => {
      for (const store of stores) store.close();
    },
  };
});

describeStoreConformance("SqlStore on node:sqlite :memory:", async () => {
  const store = await openSqliteStore(":memory:");
  return { stores: [store], close: async () => store.close() };
});

describe("SqlStore on a node:sqlite file", () => {
  it("keeps jobs and signatures across reopening, in WAL mode", async () => {
    const path = join(tempDir(), "countersign.db");
    const first = await openSqliteStore(path);
    const job = await first.createJob({
      request: { registry: "127.0.0.1:5000", repository: "a", reference: "v1" },
    });
    first.close();
    const second = await openSqliteStore(path); // migrating again is a no-op
    expect(await second.getJob(job.id)).toEqual(job);
    second.close();
    const { DatabaseSync } = await import("node:sqlite");
    const raw = new DatabaseSync(path);
    expect(raw.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    raw.close();
  });

  it("grants each claim to exactly one of four threads racing on the same file", async () => {
    const path = join(tempDir(), "race.db");
    (await openSqliteStore(path)).close();
    const keys: SignatureKey[] = Array.from({ length: 40 }, (_, i) => ({
      registry: "127.0.0.1:5000",
      repository: "team/race",
      digest: `sha256:${i.toString(16).padStart(64, "0")}`,
      format: "notary",
      keyId: "k",
    }));
    const start = new SharedArrayBuffer(4);
    const workers = Array.from(
      { length: 4 },
      (_, i) =>
        new Worker(new URL("../support/store/sqlite-claim-worker.ts", import.meta.url), {
          workerData: { path, owner: `thread-${i}`, keys, start },
        }),
    );
    const messages = workers.map((worker) => {
      const ready = new Promise<void>((resolve, reject) => {
        worker.once("error", reject);
        worker.once("message", () => resolve());
      });
      const done = ready.then(
        () =>
          new Promise<string[]>((resolve, reject) => {
            worker.once("error", reject);
            worker.once("message", (message: { results: string[] }) => resolve(message.results));
          }),
      );
      return { ready, done };
    });
    await Promise.all(messages.map((m) => m.ready));
    Atomics.store(new Int32Array(start), 0, 1);
    Atomics.notify(new Int32Array(start), 0);
    const results = await Promise.all(messages.map((m) => m.done));
    for (let k = 0; k < keys.length; k++) {
      const perKey = results.map((thread) => thread[k]);
      expect(
        perKey.filter((r) => r === "claimed"),
        `key ${k}: ${perKey.join(",")}`,
      ).toHaveLength(1);
      expect(perKey.filter((r) => r === "busy")).toHaveLength(3);
    }
    await Promise.all(workers.map((worker) => worker.terminate()));
  });
});
