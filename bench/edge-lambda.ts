// Lambda cold start, measured locally: functions/lambda.ts bundled as the CDK stack bundles it
// (infra/service-functions.ts LAMBDA_BUNDLING: ESM, platform node, target node24, minified, names
// kept, source map), then, in a fresh Node process per run, the time from `import()` of the bundle to
// the first response of its `http` handler for `GET /healthz`. That first response includes the
// container's whole initialization: environment, configuration secret, KMS GetPublicKey, the Notary
// certificate read from DynamoDB, composing the app, and the health check's DynamoDB Query, all
// against loopback emulators (so AWS's network round trips, a few ms each, are not in the figure).
// Next to it, the same measurement of a trivial handler bundled the same way: the floor.
//
//   node bench/edge-lambda.ts [--runs 20]
// bench/edge.ts imports `measureLambdaColdStart` and `formatLambdaColdStart`.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { LAMBDA_BUNDLING } from "../infra/service-functions.ts";
import { startLambdaAws } from "../test/support/lambda/aws.ts";
import { functionUrlEvent } from "../test/support/lambda/http-event.ts";

const ROOT = resolve(import.meta.dirname, "..");
const ENTRY = join(ROOT, "functions", "lambda.ts");

export interface Distribution {
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
}

export interface ColdStartSeries {
  /** `import()` to module evaluated. */
  readonly importMs: Distribution;
  /** `import()` to the first `http` response: the cold start the brief asks for. */
  readonly firstResponseMs: Distribution;
  /** The second invocation in the same process: a warm container. */
  readonly warmMs: Distribution;
}

export interface BundleSize {
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
}

export interface LambdaColdStartReport {
  readonly runs: number;
  readonly node: string;
  readonly bundle: BundleSize;
  readonly baselineBundle: BundleSize;
  /** As deployed: NODE_OPTIONS=--enable-source-maps (the stack sets it). */
  readonly countersign: ColdStartSeries;
  readonly countersignWithoutSourceMaps: ColdStartSeries;
  readonly baseline: ColdStartSeries;
}

const BASELINE_SOURCE = `
export const http = async (event) => ({
  statusCode: event.rawPath === "/healthz" ? 200 : 404,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ status: "ok" }),
  isBase64Encoded: false,
});
`;

// Runs in the child: everything it measures starts at the import.
const RUNNER_SOURCE = `
const [bundleUrl, eventPath] = process.argv.slice(2);
const { readFileSync } = await import("node:fs");
const event = JSON.parse(readFileSync(eventPath, "utf8"));
const started = performance.now();
const handlers = await import(bundleUrl);
const imported = performance.now();
const first = await handlers.http(event);
const answered = performance.now();
const second = await handlers.http(event);
const warm = performance.now() - answered;
if (first.statusCode !== 200 || second.statusCode !== 200) {
  process.stderr.write("healthz answered " + first.statusCode + ": " + first.body + "\\n");
  process.exit(1);
}
process.stdout.write(JSON.stringify({ importMs: imported - started, firstResponseMs: answered - started, warmMs: warm }));
`;

async function bundle(entry: string, outfile: string): Promise<BundleSize> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: LAMBDA_BUNDLING.target ?? "node24",
    minify: LAMBDA_BUNDLING.minify ?? true,
    keepNames: LAMBDA_BUNDLING.keepNames ?? false,
    sourcemap: LAMBDA_BUNDLING.sourceMap ?? false,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent ?? true,
    mainFields: [...(LAMBDA_BUNDLING.mainFields ?? ["module", "main"])],
    ...(LAMBDA_BUNDLING.banner !== undefined && { banner: { js: LAMBDA_BUNDLING.banner } }),
    logLevel: "error",
  });
  const code = await readFile(outfile);
  const map = await readFile(`${outfile}.map`).catch(() => Buffer.alloc(0));
  return { bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, sourceMapBytes: map.length };
}

interface RunResult {
  readonly importMs: number;
  readonly firstResponseMs: number;
  readonly warmMs: number;
}

function runOnce(
  runner: string,
  bundlePath: string,
  eventPath: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [runner, pathToFileURL(bundlePath).href, eventPath], {
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`cold-start run exited ${code}: ${stderr.slice(-2000)}`));
      // The adapter logs JSON lines to stdout too; the runner's result is the last line.
      const last = stdout.trim().split("\n").at(-1) ?? "";
      resolveRun(JSON.parse(last.slice(last.lastIndexOf('{"importMs"'))) as RunResult);
    });
  });
}

function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

async function series(runs: number, run: () => Promise<RunResult>): Promise<ColdStartSeries> {
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await run());
  return {
    importMs: distribution(results.map((r) => r.importMs)),
    firstResponseMs: distribution(results.map((r) => r.firstResponseMs)),
    warmMs: distribution(results.map((r) => r.warmMs)),
  };
}

/** Bundles both handlers, starts the emulators, and measures `runs` fresh processes of each. */
export async function measureLambdaColdStart(
  options: { runs?: number } = {},
): Promise<LambdaColdStartReport> {
  const runs = options.runs ?? 20;
  const dir = await mkdtemp(join(tmpdir(), "countersign-lambda-bench-"));
  const aws = await startLambdaAws({ config: JSON.stringify({ registries: [{ host: "127.0.0.1:*" }] }) });
  try {
    const bundlePath = join(dir, "countersign", "index.mjs");
    const baselineSource = join(dir, "baseline.mjs");
    const baselinePath = join(dir, "baseline", "index.mjs");
    const runner = join(dir, "runner.mjs");
    const eventPath = join(dir, "event.json");
    await writeFile(baselineSource, BASELINE_SOURCE);
    await writeFile(runner, RUNNER_SOURCE);
    await writeFile(eventPath, JSON.stringify(functionUrlEvent({ path: "/healthz" })));
    const bundleSize = await bundle(ENTRY, bundlePath);
    const baselineSize = await bundle(baselineSource, baselinePath);

    const base: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: dir, ...aws.env };
    const deployed = { ...base, NODE_OPTIONS: "--enable-source-maps" };
    // One untimed run creates the Notary certificate (a KMS Sign and a PutItem that later
    // containers skip), so every timed run sees a deployment that has signed before.
    await runOnce(runner, bundlePath, eventPath, deployed);
    return {
      runs,
      node: process.version,
      bundle: bundleSize,
      baselineBundle: baselineSize,
      countersign: await series(runs, () => runOnce(runner, bundlePath, eventPath, deployed)),
      countersignWithoutSourceMaps: await series(runs, () => runOnce(runner, bundlePath, eventPath, base)),
      baseline: await series(runs, () => runOnce(runner, baselinePath, eventPath, deployed)),
    };
  } finally {
    await aws.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export function formatLambdaColdStart(report: LambdaColdStartReport): string {
  const row = (name: string, s: ColdStartSeries) =>
    `  ${name.padEnd(34)} ${ms(s.firstResponseMs.median)} ${ms(s.firstResponseMs.p95)}   ${ms(s.importMs.median)}   ${ms(s.warmMs.median)}`;
  return [
    `Lambda cold start (GET /healthz, ${report.runs} fresh Node ${report.node} processes each, emulators on loopback)`,
    `  bundle functions/lambda.ts: ${kib(report.bundle.bytes)} (${kib(report.bundle.gzipBytes)} gzip), source map ${kib(report.bundle.sourceMapBytes)}`,
    `  bundle trivial handler:     ${kib(report.baselineBundle.bytes)} (${kib(report.baselineBundle.gzipBytes)} gzip)`,
    `  ${"".padEnd(34)} ${"first response".padStart(10)}            ${"import".padStart(10)}   ${"warm call".padStart(10)}`,
    `  ${"".padEnd(34)} ${"median".padStart(10)} ${"p95".padStart(10)}   ${"median".padStart(10)}   ${"median".padStart(10)}`,
    row("countersign (--enable-source-maps)", report.countersign),
    row("countersign (no source maps)", report.countersignWithoutSourceMaps),
    row("baseline: trivial handler", report.baseline),
  ].join("\n");
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const runsArg = process.argv.indexOf("--runs");
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
  console.log(formatLambdaColdStart(await measureLambdaColdStart({ runs })));
}
