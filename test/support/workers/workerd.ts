// A module bundled as a Worker (for the browser, as Wrangler bundles: fetch and WebCrypto only, the AWS
// SDK's browser build) and served by the workerd binary on a loopback port, with outbound access to
// loopback only. For checks of lib/ code that must hold inside workerd itself.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { freePort } from "../registry/distribution.ts";
import { projectRoot } from "./local-worker.ts";

const workerdBinary = join(projectRoot, "node_modules/.bin/workerd");

export interface RunningWorkerd {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** What workerd printed (for failure messages). */
  readonly logs: () => string;
  stop(): Promise<void>;
}

export async function startWorkerd(entry: string): Promise<RunningWorkerd> {
  if (!existsSync(workerdBinary))
    throw new Error("workerd is missing: run npm install (it comes with wrangler)");
  const dir = await mkdtemp(join(tmpdir(), "countersign-workerd-"));
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    outfile: join(dir, "worker.js"),
    logLevel: "silent",
  });
  const port = await freePort();
  await writeFile(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2025-01-01",
);
`,
  );
  let output = "";
  const child: ChildProcess = spawn(workerdBinary, ["serve", join(dir, "config.capnp")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-32 * 1024);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(url, { method: "HEAD" }).then(
      () => true,
      () => false,
    );
    if (ok) return { url, logs: () => output, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`workerd did not serve on ${url} within 10 s: ${output}`);
}
