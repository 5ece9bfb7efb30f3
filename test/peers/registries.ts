// The three registry kinds the peer tests run on, each a real server on a free loopback port:
// - distribution: CNCF distribution 2.8 (Debian's docker-registry), no referrers API: the tag schema;
// - olareg: olareg v0.2.2 in memory, referrers API on (with it off it answers 405, not 404);
// - ggcr: go-containerregistry's registry with referrers support, the implementation cosign's own tests
//   use (it stands in for zot, whose module the Go proxy here does not serve).
import { type ChildProcess, spawn } from "node:child_process";
import { freePort, type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type PeerName, peer } from "./tools.ts";

export const RegistryKinds = ["distribution", "olareg", "ggcr"] as const;
export type RegistryKind = (typeof RegistryKinds)[number];

/** Whether the kind serves `GET /v2/<name>/referrers/<digest>`. */
export const HasReferrersApi: Readonly<Record<RegistryKind, boolean>> = {
  distribution: false,
  olareg: true,
  ggcr: true,
};

export interface StartKindOptions {
  /** olareg only: `--api-referrer=false` (the API then answers 405). */
  readonly referrersApi?: boolean;
}

export function startRegistryKind(
  kind: RegistryKind,
  options: StartKindOptions = {},
): Promise<RunningRegistry> {
  switch (kind) {
    case "distribution":
      return startRegistry();
    case "olareg":
      return startOlareg(options);
    case "ggcr":
      return startGgcr();
  }
}

async function startOlareg(options: StartKindOptions): Promise<RunningRegistry> {
  const binary = peer("olareg");
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      "serve",
      "--addr",
      "127.0.0.1",
      "--port",
      String(port),
      "--store-type",
      "mem",
      "--api-delete",
    ];
    if (options.referrersApi === false) args.push("--api-referrer=false");
    try {
      return await launch("olareg", binary, args, `127.0.0.1:${port}`);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startGgcr(): Promise<RunningRegistry> {
  const child = spawn(peer("ggcr-registry"), ["--addr", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const host = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = /listening on (\S+)\n/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`ggcr-registry exited with ${code}`)));
  });
  return running("ggcr-registry", child, host);
}

async function launch(
  name: PeerName,
  binary: string,
  args: string[],
  host: string,
): Promise<RunningRegistry> {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  return running(name, child, host);
}

async function running(name: string, child: ChildProcess, host: string): Promise<RunningRegistry> {
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-64 * 1024);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const url = `http://${host}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${output}`);
    try {
      const response = await fetch(`${url}/v2/`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not answer on ${url} within 15 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let stopped = false;
  return {
    host,
    url,
    dir: "",
    logs: () => output,
    async stop() {
      if (stopped || child.exitCode !== null) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      });
    },
  };
}
