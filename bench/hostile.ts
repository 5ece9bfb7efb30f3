// The figures of issue 13 ("Hostile registries and failing networks"), measured:
//   1. 20% faults, two fifths of them after the registry acted (lost answer, 500 in place of the answer),
//      on 15 two-platform images (45 subjects) in distribution 2.8: subjects signed in every format,
//      duplicates, tag-schema entries naming nothing, dead jobs, attempts.
//   2. A registry that never answers, with the default settings: how long one job attempt holds a worker.
//   3. Fan-out: one push of an index with 2,000 and with 20,000 children (default bound 64): subjects
//      signed, registry writes, time, memory.
// Run: node bench/hostile.ts [--images 15] [--rate 0.2] [--seed 13] [--skip-silent]
import { createServer, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { runAttachJob } from "../lib/attach/job.ts";
import { MediaType } from "../lib/oci/media-types.ts";
import {
  auditSubject,
  ChaosFaults,
  indexJobs,
  pushIndexes,
  runLikeAQueue,
  summarize,
} from "../test/support/attach/chaos.ts";
import { createAttachHarness, digestRequest } from "../test/support/attach/harness.ts";
import { startRegistry } from "../test/support/registry/distribution.ts";
import { startFaultProxy } from "../test/support/registry/fault-proxy.ts";
import { startHostileRegistry, startSentinel } from "../test/support/registry/hostile-registry.ts";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "15" },
    rate: { type: "string", default: "0.2" },
    seed: { type: "string", default: "13" },
    "skip-silent": { type: "boolean", default: false },
  },
});

async function chaos(): Promise<void> {
  const registry = await startRegistry();
  const proxy = await startFaultProxy(registry.url);
  // The client's retries as shipped (5 attempts), backoff shortened so the bench does not wait minutes.
  const h = await createAttachHarness({
    client: { retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 50 } },
  });
  try {
    const pushed = await pushIndexes(registry.host, "chaos", Number(values.images));
    const jobs = await indexJobs(h, proxy.host, pushed);
    proxy.chaos({ rate: Number(values.rate), faults: ChaosFaults, seed: Number(values.seed) });
    const started = performance.now();
    const attempts = await runLikeAQueue(jobs, h.deps({ backoff: { initialMs: 50, maxMs: 500, factor: 2 } }));
    const seconds = (performance.now() - started) / 1000;
    proxy.chaos(undefined);
    const audits = [];
    for (const p of pushed) {
      for (const subject of [p.index, ...p.children])
        audits.push(await auditSubject(registry.host, p.repository, subject, h));
    }
    const stored = await Promise.all(jobs.map((job) => h.store.getJob(job.jobId)));
    const summary = summarize(audits, stored, attempts);
    const byKind = new Map<string, number>();
    for (const r of proxy.requests) if (r.fault) byKind.set(r.fault, (byKind.get(r.fault) ?? 0) + 1);
    const injected = [...byKind.values()].reduce((a, b) => a + b, 0);
    console.log(
      `\n1. ${Number(values.rate) * 100}% faults on ${proxy.requests.length} requests (${injected} injected: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")})`,
    );
    console.log(
      `   subjects ${summary.subjects}, signed in every format ${summary.fullySigned}, duplicates ${summary.duplicates}, dangling index entries ${summary.dangling}, dead jobs ${summary.dead}`,
    );
    console.log(`   ${jobs.length} jobs, ${summary.attempts} attempts, ${seconds.toFixed(1)} s`);
  } finally {
    await h.close();
    await proxy.stop();
    await registry.stop();
  }
}

/** A loopback port that accepts connections and never says a word. */
async function silentServer(): Promise<{ host: string; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function silent(): Promise<void> {
  const server = await silentServer();
  // Default client settings (timeouts, 5 attempts, backoff) and the default attempt deadline.
  const h = await createAttachHarness({ client: { retry: {} } });
  try {
    const digest = `sha256:${"5".repeat(64)}`;
    const job = await h.job(digestRequest(server.host, "team/app", digest));
    const started = performance.now();
    const result = await runAttachJob(job, h.deps({ attemptTimeoutMs: undefined }), 1);
    const seconds = (performance.now() - started) / 1000;
    const stored = await h.store.getJob(job.jobId);
    console.log(
      `\n2. a registry that never answers (defaults): the attempt ended after ${seconds.toFixed(1)} s`,
    );
    console.log(`   result ${JSON.stringify(result)}, job ${stored?.status}: ${stored?.lastError}`);
    console.log(
      `   requests: ${h.events.length} attempts, ${h.events.filter((e) => e.error === "TimeoutError").length} timed out`,
    );
  } finally {
    await h.close();
    await server.stop();
  }
}

const EMPTY = { mediaType: MediaType.OciConfig, digest: `sha256:${"4".repeat(64)}`, size: 2 };

async function fanOut(children: number, exist = false): Promise<void> {
  const sentinel = await startSentinel();
  const registry = await startHostileRegistry({
    username: "bench",
    password: "bench-password-0123",
    auth: "basic",
    elsewhere: sentinel.origin,
    misbehaviours: {},
  });
  const h = await createAttachHarness({
    registries: [
      { host: "127.0.0.1:*", credentials: { username: "bench", password: "bench-password-0123" } },
    ],
  });
  try {
    // Children that exist (each a distinct manifest) when they are to be signed; made-up digests when
    // the index is over the bound and no child may even be fetched.
    const manifests = Array.from({ length: children }, (_, i) => {
      const child = new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          config: EMPTY,
          layers: [],
          annotations: { i: String(i) },
        }),
      );
      return {
        mediaType: MediaType.OciManifest,
        digest: exist
          ? registry.putManifest("team/wide", child, MediaType.OciManifest)
          : `sha256:${i.toString(16).padStart(64, "0")}`,
        size: child.length,
        platform: { os: "linux", architecture: `arch${i}` },
      };
    });
    const bytes = new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }),
    );
    const digest = registry.putManifest("team/wide", bytes, MediaType.OciIndex, "v1");
    const job = await h.job(digestRequest(registry.host, "team/wide", digest));
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    await runAttachJob(job, h.deps(), 1);
    const seconds = (performance.now() - started) / 1000;
    const stored = await h.store.getJob(job.jobId);
    const puts = registry.requests.filter((r) => r.method === "PUT").length;
    const signed = registry.tags("team/wide").filter((t) => t.endsWith(".sig")).length;
    console.log(
      `\n3. an index of ${children} children (${(bytes.length / 1024 / 1024).toFixed(1)} MiB): job ${stored?.status}, ${signed} subject(s) signed, ${puts} PUTs, ${registry.requests.length} requests in ${seconds.toFixed(2)} s, RSS +${((process.memoryUsage().rss - rss) / 1024 / 1024).toFixed(0)} MB`,
    );
    console.log(`   ${stored?.outcomes.notary?.detail}`);
  } finally {
    await h.close();
    await registry.stop();
    await sentinel.stop();
  }
}

await chaos();
if (!values["skip-silent"]) await silent();
await fanOut(64, true);
await fanOut(2_000);
await fanOut(20_000);
