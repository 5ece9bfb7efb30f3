// The Cloudflare Worker as deployed, run locally and offline: `wrangler deploy --dry-run --outdir`
// builds the exact bundle Cloudflare would receive, and the Miniflare that `wrangler dev` runs serves
// it with the bindings wrangler.toml declares (D1, Durable Objects, Queues with their dead-letter
// queue), on a loopback port, with workerd's own network stack for outbound fetches.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import type { D1DatabaseLike } from "../../../lib/store/sql/d1.ts";

export const projectRoot = resolve(import.meta.dirname, "../../..");
const wranglerCli = join(projectRoot, "node_modules/wrangler/bin/wrangler.js");

/** Keeps wrangler and Miniflare off the network: no telemetry, no update check, no `Request.cf` fetch. */
export const offlineWranglerEnv = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
} as const;

for (const [name, value] of Object.entries(offlineWranglerEnv)) process.env[name] ??= value;

export interface WorkerBundle {
  readonly dir: string;
  /** The bundled module (`<dir>/<entry name>.js`). */
  readonly file: string;
  readonly bytes: number;
  /** gzip -9 of the bundle: what the Workers size limit and our budget count. */
  readonly gzipBytes: number;
  /** Every module file wrangler wrote (one, unless something escaped the bundle). */
  readonly modules: readonly string[];
  cleanup(): Promise<void>;
}

/** `wrangler deploy --dry-run --outdir <tmp>` with the project's wrangler.toml. */
export async function buildWorkerBundle(options: { readonly config?: string } = {}): Promise<WorkerBundle> {
  const dir = await mkdtemp(join(tmpdir(), "countersign-worker-"));
  const config = options.config ?? join(projectRoot, "wrangler.toml");
  const output = await run(process.execPath, [
    wranglerCli,
    "deploy",
    "--dry-run",
    "--config",
    config,
    "--outdir",
    dir,
  ]);
  const modules = (await readdir(dir)).filter((name) => /\.(m?js|wasm)$/.test(name));
  const [main] = modules.filter((name) => name.endsWith(".js"));
  if (main === undefined) throw new Error(`wrangler wrote no module to ${dir}:\n${output}`);
  const file = join(dir, main);
  const bytes = await readFile(file);
  return {
    dir,
    file,
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
    modules,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface LocalWorker {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  /** The Worker's D1 database, for reading what it stored. */
  d1(): Promise<D1DatabaseLike>;
  /** What the Worker printed (its JSON log lines): for failure messages. */
  readonly logs: () => string;
  dispose(): Promise<void>;
}

export interface LocalWorkerOptions {
  /** Vars and secrets, on top of wrangler.toml's `[vars]` (strings, or JSON for JSON vars). */
  readonly bindings?: Readonly<Record<string, unknown>>;
  readonly config?: string;
}

interface MiniflareLike {
  readonly ready: Promise<URL>;
  getD1Database(name: string): Promise<D1DatabaseLike>;
  dispose(): Promise<void>;
}

/** Serves `bundle` as `wrangler dev` would, with wrangler.toml's bindings, state in memory. */
export async function startLocalWorker(
  bundle: WorkerBundle,
  options: LocalWorkerOptions = {},
): Promise<LocalWorker> {
  // The Miniflare wrangler itself runs (wrangler's own dependency, matching its workerd).
  const fromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = fromWrangler("miniflare");
  const derived = unstable_getMiniflareWorkerOptions(options.config ?? join(projectRoot, "wrangler.toml"));
  // Source options are replaced by the prebuilt bundle; the rest is the bindings wrangler.toml declares.
  const { modulesRules, rootPath, connectHandlers, ...workerOptions } = derived.workerOptions as Record<
    string,
    unknown
  > & { bindings?: Record<string, unknown> };
  void modulesRules;
  void rootPath;
  void connectHandlers;
  let output = "";
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new Log(LogLevel.WARN),
      // workerd's output, one structured record per line: kept for failure messages, not printed.
      handleStructuredLogs(log: { readonly level: string; readonly message: string }) {
        output += `${log.message}\n`;
      },
      workers: [
        {
          ...workerOptions,
          name: "countersign",
          modules: true,
          modulesRoot: bundle.dir,
          scriptPath: bundle.file,
          bindings: { ...workerOptions.bindings, ...options.bindings },
        },
      ],
    }),
  ) as MiniflareLike;
  const url = (await mf.ready).href.replace(/\/$/, "");
  return {
    url,
    d1: () => mf.getD1Database("DB"),
    logs: () => output,
    dispose: () => mf.dispose(),
  };
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: projectRoot,
      env: { ...process.env, ...offlineWranglerEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      output += String(chunk);
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolveRun(output);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}
