// The real peers (cosign v3 and v2, notation, oras, regctl, olareg), built by test/peers/install.sh from
// the pinned module versions in tools.tsv into .peers/<folder>/. A missing one fails the test with the
// command that builds it: never a skip.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");
const PEERS_DIR = process.env.COUNTERSIGN_PEERS_DIR ?? join(ROOT, ".peers");

/** `cosign sign` offline, with a key: no transparency log, no signing config, no prompt, plain HTTP. */
export const COSIGN_SIGN_OFFLINE = [
  "--tlog-upload=false",
  "--use-signing-config=false",
  "-y",
  "--allow-http-registry",
];

export type PeerName =
  | "cosign-v3"
  | "cosign-v2"
  | "notation"
  | "oras"
  | "regctl"
  | "olareg"
  | "ggcr-registry";

interface PeerEntry {
  readonly name: string;
  readonly version: string;
  readonly module: string;
  readonly folder: string;
}

function entries(): PeerEntry[] {
  return readFileSync(join(HERE, "tools.tsv"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => {
      const [name = "", version = "", module = "", folder = ""] = line.split("\t");
      return { name, version, module, folder };
    });
}

/** What install.sh writes to VERSION: module@version, or for a module of this repository its sources' hash. */
function buildId(entry: PeerEntry): string {
  if (!entry.module.startsWith("./")) return `${entry.module}@${entry.version}`;
  const dir = join(ROOT, entry.module);
  const sources = [
    "go.mod",
    "go.sum",
    ...readdirSync(dir)
      .filter((f) => f.endsWith(".go"))
      .sort(),
  ];
  const hash = createHash("sha256");
  for (const file of sources) hash.update(readFileSync(join(dir, file)));
  return `${entry.module}@${hash.digest("hex").slice(0, 16)}`;
}

/** Absolute path of a built peer; throws with the command that builds it when it is missing or stale. */
export function peer(folder: PeerName): string {
  const entry = entries().find((e) => e.folder === folder);
  if (entry === undefined) throw new Error(`test/peers/tools.tsv lists no ${folder}`);
  const binary = join(PEERS_DIR, entry.folder, entry.name);
  const stamp = join(PEERS_DIR, entry.folder, "VERSION");
  const built = existsSync(stamp) ? readFileSync(stamp, "utf8").trim() : "";
  if (!existsSync(binary) || built !== buildId(entry)) {
    throw new Error(
      `${folder} ${entry.version} is not built in ${join(PEERS_DIR, entry.folder)}: run \`test/peers/install.sh ${folder}\` ` +
        "(or `npm run peers:install`; needs Go 1.25+ and the Go module proxy)",
    );
  }
  return binary;
}

export interface PeerRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** `tool args…` as run, for failure messages. */
  readonly command: string;
}

export interface PeerRunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Runs a peer to completion; never throws for a non-zero exit (the verdict is the exit code). */
export function runPeer(
  folder: PeerName,
  args: readonly string[],
  options: PeerRunOptions = {},
): Promise<PeerRun> {
  const binary = peer(folder);
  const command = `${folder} ${args.join(" ")}`;
  return new Promise((done) => {
    execFile(
      binary,
      [...args],
      {
        ...(options.cwd !== undefined && { cwd: options.cwd }),
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, stdout: String(stdout), stderr: String(stderr), command });
      },
    );
  });
}

/** A failure message that shows what the peer printed. */
export function explain(run: PeerRun): string {
  return `${run.command}\nexit ${run.code}\nstdout: ${run.stdout.trim()}\nstderr: ${run.stderr.trim()}`;
}
