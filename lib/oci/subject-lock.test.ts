import { describe, expect, it } from "vitest";
import { InProcessSubjectLock } from "./subject-lock.ts";

describe("InProcessSubjectLock", () => {
  it("runs work for one key strictly one at a time, in arrival order, surviving failures", async () => {
    const lock = new InProcessSubjectLock();
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    const jobs = Array.from({ length: 20 }, (_, i) =>
      lock.withLock("subject", async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        order.push(i);
        running--;
        if (i % 5 === 0) throw new Error(`job ${i}`);
        return i;
      }),
    );
    const results = await Promise.allSettled(jobs);
    expect(maxRunning).toBe(1);
    expect(order).toEqual([...Array(20).keys()]);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(4);
    expect(lock.activeKeys).toBe(0);
  });

  it("lets different keys run concurrently", async () => {
    const lock = new InProcessSubjectLock();
    let running = 0;
    let maxRunning = 0;
    await Promise.all(
      ["a", "b", "c"].map((key) =>
        lock.withLock(key, async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        }),
      ),
    );
    expect(maxRunning).toBe(3);
  });
});
