// Edge figures, one section each: the Cloudflare Worker bundle (raw and gzip, against the 300 KB
// budget) and CPU time per signature inside workerd next to a Node baseline of the same operations.
// The Lambda section (bundle size and cold start, import to first response) is added as another entry
// of `sections` below.
//
//   node bench/edge.ts [--iterations 1000]
//
// Method (workerd): a bench Worker (bench/edge-worker.ts), bundled by `wrangler deploy --dry-run` and
// served by Miniflare's workerd, runs N signatures inside one request and reports the elapsed
// Date.now() milliseconds between two awaited timer events. Workers freeze Date.now() during CPU work
// in production (it moves at I/O), which is why the loop is fenced by events; locally the clock runs,
// and a run with N = 0 measures what the fences themselves cost, which is subtracted. With no I/O in
// the loop, that wall time is the request's CPU time. Node: process.cpuUsage() over the same loop.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorkerBundle, projectRoot, startLocalWorker } from "../test/support/workers/local-worker.ts";
import { formatLambdaColdStart, measureLambdaColdStart } from "./edge-lambda.ts";
import { type SigningOperationName, SigningOperationNames, signingOperations } from "./edge-signing.ts";

const LAMBDA_RUNS = 10;

const iterationsArg = process.argv.indexOf("--iterations");
const iterations = iterationsArg > 0 ? Number(process.argv[iterationsArg + 1]) : 1000;
/** Issue 5's budget, and the free plan's CPU limit per invocation. */
const BUNDLE_BUDGET_GZIP_BYTES = 300_000;
const FREE_PLAN_CPU_MS = 10;

interface Section {
  readonly title: string;
  run(): Promise<void>;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function row(cells: readonly (string | number)[]): string {
  return cells.map((cell, i) => String(cell).padEnd(i === 0 ? 16 : 22)).join("");
}

const workerBundle: Section = {
  title: "Cloudflare Worker bundle (wrangler deploy --dry-run --outdir, minified)",
  async run() {
    const bundle = await buildWorkerBundle();
    try {
      console.log(row(["module", "raw", "gzip -9", "budget (gzip)"]));
      console.log(
        row([
          bundle.modules.join(", "),
          `${bundle.bytes} B (${kib(bundle.bytes)})`,
          `${bundle.gzipBytes} B (${kib(bundle.gzipBytes)})`,
          `${BUNDLE_BUDGET_GZIP_BYTES} B: ${bundle.gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES ? "within" : "OVER"}`,
        ]),
      );
    } finally {
      await bundle.cleanup();
    }
  },
};

async function median(runs: number, measure: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await measure());
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)]!;
}

/** Milliseconds of CPU per operation in workerd (fenced wall time of one request, fences subtracted). */
async function workerdMsPerOperation(): Promise<Record<SigningOperationName, number>> {
  const dir = await mkdtemp(join(tmpdir(), "countersign-edge-bench-"));
  const config = join(dir, "wrangler.toml");
  await writeFile(
    config,
    [
      'name = "countersign-edge-bench"',
      `main = ${JSON.stringify(join(projectRoot, "bench/edge-worker.ts"))}`,
      'compatibility_date = "2026-08-01"',
      "minify = true",
      "",
    ].join("\n"),
  );
  const bundle = await buildWorkerBundle({ config });
  const worker = await startLocalWorker(bundle, { config });
  try {
    const elapsed = async (op: SigningOperationName, n: number) => {
      const response = await fetch(`${worker.url}/?op=${op}&n=${n}`);
      if (!response.ok) throw new Error(`bench worker: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { elapsedMs: number }).elapsedMs;
    };
    const result = {} as Record<SigningOperationName, number>;
    for (const op of SigningOperationNames) {
      const fences = await median(3, () => elapsed(op, 0));
      result[op] = ((await median(3, () => elapsed(op, iterations))) - fences) / iterations;
    }
    return result;
  } finally {
    await worker.dispose();
    await bundle.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Node baseline: CPU (user + system) and wall milliseconds per operation, same operations. */
async function nodeMsPerOperation(): Promise<Record<SigningOperationName, { cpu: number; wall: number }>> {
  const operations = await signingOperations();
  const result = {} as Record<SigningOperationName, { cpu: number; wall: number }>;
  for (const op of SigningOperationNames) {
    const run = operations[op];
    for (let i = 0; i < 20; i++) await run();
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < iterations; i++) await run();
    const wall = (performance.now() - started) / iterations;
    const used = process.cpuUsage(cpu);
    result[op] = { cpu: (used.user + used.system) / 1000 / iterations, wall };
  }
  return result;
}

const cpuPerSignature: Section = {
  title: `CPU per signature, local P-256 key (LocalSigner, WebCrypto), ${iterations} per run, median of 3`,
  async run() {
    const workerd = await workerdMsPerOperation();
    const node = await nodeMsPerOperation();
    console.log(
      row(["operation", "workerd ms/sig", "Node CPU ms/sig", "Node wall ms/sig", "of 10 ms (free plan)"]),
    );
    for (const op of SigningOperationNames) {
      console.log(
        row([
          op,
          workerd[op].toFixed(3),
          node[op].cpu.toFixed(3),
          node[op].wall.toFixed(3),
          `${((workerd[op] / FREE_PLAN_CPU_MS) * 100).toFixed(1)} %`,
        ]),
      );
    }
    const image = workerd.notary + workerd.cosign + workerd.bundle;
    console.log(
      `one image in all three formats: ${image.toFixed(3)} ms CPU in workerd for the signatures (free plan: ${FREE_PLAN_CPU_MS} ms per invocation); registry I/O waits are not CPU time.`,
    );
  },
};

const lambdaColdStart: Section = {
  title: "AWS Lambda: bundle and cold start (import to first response)",
  async run() {
    console.log(formatLambdaColdStart(await measureLambdaColdStart({ runs: LAMBDA_RUNS })));
  },
};

const sections: readonly Section[] = [workerBundle, cpuPerSignature, lambdaColdStart];

console.log(`bench/edge (${process.version}, ${new Date().toISOString()})`);
for (const section of sections) {
  console.log(`\n${section.title}`);
  await section.run();
}
