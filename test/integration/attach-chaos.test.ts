// 20% of all registry requests fail, two fifths of them after the registry acted (the answer lost, or
// a 500 in its place): a connection reset before the request arrives, a 503, a body cut short, a lost
// answer, a 500 after the write. Fifteen multi-platform images (45 subjects) through distribution 2.8
// behind the fault proxy, the attach jobs run to their end as a queue runs them. Issue 13 measured 19
// dead jobs and 6 of 45 subjects missing a format; the bar is every subject signed in every format,
// 0 duplicates, 0 tag-schema entries pointing at nothing, 0 dead jobs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditSubject,
  ChaosFaults,
  indexJobs,
  pushIndexes,
  runLikeAQueue,
  summarize,
} from "../support/attach/chaos.ts";
import { type AttachHarness, createAttachHarness } from "../support/attach/harness.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";

let registry: RunningRegistry;
let proxy: FaultProxy;
let h: AttachHarness;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  h = await createAttachHarness({
    // The client's default retry budget (5 attempts), with short waits so the run stays quick.
    client: { retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 50 } },
  });
});

afterAll(async () => {
  await h?.close();
  await proxy?.stop();
  await registry?.stop();
});

describe("20% faults, lost answers included", () => {
  it("every subject signed in every format, no duplicate, no dangling entry, no dead job", async () => {
    const pushed = await pushIndexes(registry.host, "chaos", 15);
    const jobs = await indexJobs(h, proxy.host, pushed);
    proxy.chaos({ rate: 0.2, faults: ChaosFaults, seed: 13 });
    const attempts = await runLikeAQueue(jobs, h.deps({ backoff: { initialMs: 50, maxMs: 500, factor: 2 } }));
    proxy.chaos(undefined);

    const injected = proxy.requests.filter((r) => r.fault !== undefined);
    const afterActing = injected.filter((r) => r.fault === "lost" || r.fault === "status-after");
    // The run did meet the faults it is about.
    expect(injected.length / proxy.requests.length).toBeGreaterThan(0.15);
    expect(afterActing.filter((r) => r.method === "PUT").length).toBeGreaterThan(10);

    const audits = [];
    for (const p of pushed) {
      for (const subject of [p.index, ...p.children]) {
        audits.push(await auditSubject(registry.host, p.repository, subject, h));
      }
    }
    const stored = await Promise.all(jobs.map((job) => h.store.getJob(job.jobId)));
    const summary = summarize(audits, stored, attempts);
    const unfinished = stored
      .filter((j) => j?.status !== "succeeded")
      .map((j) => `${j?.id}: ${j?.lastError}`);
    expect(summary, unfinished.join("\n")).toMatchObject({
      subjects: 45,
      fullySigned: 45,
      duplicates: 0,
      dangling: 0,
      dead: 0,
    });
    // The store agrees with the registry: three records per subject.
    for (const audit of audits) {
      const records = await h.store.listSignatures({
        registry: proxy.host,
        repository: audit.repository,
        digest: audit.digest,
      });
      expect(records.map((r) => r.format).sort(), audit.digest).toEqual(["bundle", "cosign", "notary"]);
    }
  });
});
