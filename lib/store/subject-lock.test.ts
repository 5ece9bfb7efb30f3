import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore, type SqliteStore } from "../../functions/node/sqlite-store.ts";
import type { SubjectLock as RegistrySubjectLock } from "../oci/subject-lock.ts";
import { LockLostError } from "./errors.ts";
import { subjectLock, withSubjectLock } from "./subject-lock.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let store: SqliteStore;
beforeAll(async () => {
  store = await openSqliteStore(":memory:");
});
afterAll(() => store.close());

describe("withSubjectLock", () => {
  it("renews the lease while the critical section outlasts it", async () => {
    const key = crypto.randomUUID();
    const stolen: boolean[] = [];
    await withSubjectLock(
      store,
      key,
      async () => {
        for (let i = 0; i < 4; i++) {
          await sleep(80); // 320 ms in all, against a 90 ms lease
          stolen.push(await store.acquireLock(key, "intruder", 10_000));
        }
      },
      { leaseMs: 90 },
    );
    expect(stolen).toEqual([false, false, false, false]);
    expect(await store.acquireLock(key, "intruder", 10_000)).toBe(true); // released at the end
  });

  it("aborts the section's signal and fails with LockLostError when the lease was taken over", async () => {
    const key = crypto.randomUUID();
    let signal: AbortSignal | undefined;
    const run = withSubjectLock(
      store,
      key,
      async (s) => {
        signal = s;
        // Stall the event loop past the lease, as a long GC pause or a frozen container would.
        const until = Date.now() + 150;
        while (Date.now() < until) {}
        expect(await store.acquireLock(key, "successor", 10_000)).toBe(true);
        await sleep(100); // the next renewal finds the lease gone
        return "wrote something";
      },
      { leaseMs: 90 },
    );
    await expect(run).rejects.toBeInstanceOf(LockLostError);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(LockLostError);
    expect(await store.releaseLock(key, "successor")).toBe(true); // ours was not released over theirs
  });

  it("releases the lock and rethrows when the section fails", async () => {
    const key = crypto.randomUUID();
    const failure = new Error("registry said 500");
    await expect(
      withSubjectLock(store, key, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.acquireLock(key, "next", 10_000)).toBe(true);
  });
});

describe("subjectLock", () => {
  it("is the SubjectLock the registry client takes, with one owner per call", async () => {
    const lock: RegistrySubjectLock = subjectLock(store, { minDelayMs: 1, maxDelayMs: 5 });
    const order: string[] = [];
    const section = (name: string) => async () => {
      order.push(`${name}:in`);
      await sleep(20);
      order.push(`${name}:out`);
      return name;
    };
    const results = await Promise.all([lock.withLock("k", section("a")), lock.withLock("k", section("b"))]);
    expect(results).toEqual(["a", "b"]);
    // One section finished before the other began, in either order.
    expect([
      ["a:in", "a:out", "b:in", "b:out"],
      ["b:in", "b:out", "a:in", "a:out"],
    ]).toContainEqual(order);
  });
});
