// Runs the `countersign` executable as a user does: a child process on the project's Node 24, in a
// folder of the test's with its own HOME and Docker config, never the developer's.
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const COUNTERSIGN_BIN = join(ROOT, "bin/countersign.mjs");
export const NODE = join(ROOT, "node_modules/.bin/node");

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  /** stdout as bytes (`manifest get` prints raw manifests). */
  readonly bytes: Buffer;
  readonly stderr: string;
  /** `countersign <args>`, for failure messages. */
  readonly command: string;
}

export interface CliOptions {
  /** Working folder; also HOME unless `env` says otherwise. */
  readonly cwd: string;
  /** Default `<cwd>/docker` (the test writes an empty config.json there). */
  readonly dockerConfig?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export function runCountersign(args: readonly string[], options: CliOptions): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      NODE,
      // As the executable's shebang starts it (bin/countersign.mjs).
      ["--max-semi-space-size=2", COUNTERSIGN_BIN, ...args],
      {
        cwd: options.cwd,
        encoding: "buffer",
        env: {
          PATH: `${dirname(NODE)}:${process.env.PATH}`,
          HOME: options.cwd,
          DOCKER_CONFIG: options.dockerConfig ?? join(options.cwd, "docker"),
          ...options.env,
        },
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({
          code,
          stdout: stdout.toString("utf8"),
          bytes: stdout,
          stderr: stderr.toString("utf8"),
          command: `countersign ${args.join(" ")}`,
        });
      },
    );
  });
}
