// `npm start` and `countersign serve` stop on SIGINT and SIGTERM whoever receives them (issue 14 item 7):
// npm, the service itself, the whole process group (Ctrl-C), or nobody when the shell npm started dies.
// Each case checks that the port closes and that no process of the group is left: no orphan.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = join(ROOT, "node_modules/.bin/node");
const BIN = join(ROOT, "bin/countersign.mjs");

let work: string;
let config: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-signals-"));
  config = join(work, "countersign.yaml");
  // The data directory in the temporary folder: npm start runs in the checkout, which it must not write to.
  await writeFile(config, `dataDir: ${join(work, "data")}\nserver: { host: 127.0.0.1, port: 0 }\n`);
});

afterAll(async () => {
  for (const child of started) if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
  if (work) await rm(work, { recursive: true, force: true });
});

interface Running {
  readonly child: ChildProcess;
  /** The process group (the child leads it): every process the command started. */
  readonly group: number;
  readonly url: URL;
  stderr(): string;
  readonly exited: Promise<number | null>;
}

/** Starts `command` as the leader of a new process group and waits for the service's URL. */
async function start(command: string, args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH}`, COUNTERSIGN_CONFIG: config, ...env },
  });
  started.push(child);
  let stderr = "";
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const url = await new Promise<URL>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "listening on" within 60 s: ${stderr}`)), 60_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        done(new URL(match[1]!));
      }
    });
  });
  return { child, group: child.pid!, url, stderr: () => stderr, exited } satisfies Running;
}

function killGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // already gone
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(url: URL): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

/** Every process of the group gone and the port closed within `ms`. */
async function expectStopped(running: Running, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && groupAlive(running.group)) await new Promise((r) => setTimeout(r, 100));
  expect(groupAlive(running.group), `processes left in the group; stderr:\n${running.stderr()}`).toBe(false);
  expect(await portOpen(running.url)).toBe(false);
}

describe("stopping the service", () => {
  it("npm start, SIGTERM to npm: the service drains and stops, npm exits, nothing left", async () => {
    const running = await start("npm", ["start", "--", "--port", "0"]);
    expect(await portOpen(running.url)).toBe(true);
    process.kill(running.group, "SIGTERM");
    await expectStopped(running);
    expect(running.stderr()).toContain("countersign: SIGTERM: shutting down, draining running jobs");
    expect(running.stderr()).toContain("countersign: stopped");
  });

  it("npm start, Ctrl-C (SIGINT to the whole group, npm passing its own copy on): one graceful stop", async () => {
    const running = await start("npm", ["start", "--", "--port", "0"]);
    killGroup(running.group, "SIGINT");
    await expectStopped(running);
    expect(running.stderr().match(/shutting down/g)).toHaveLength(1);
    expect(running.stderr()).not.toContain("stopping now");
    expect(running.stderr()).toContain("countersign: stopped");
  });

  it("countersign serve, SIGTERM to the service itself: exit code 0", async () => {
    const running = await start(NODE, [BIN, "serve", "--port", "0"]);
    process.kill(running.group, "SIGTERM");
    expect(await running.exited, running.stderr()).toBe(0);
    await expectStopped(running);
  });

  it("npx-style, the shell between npm and the service killed: the service notices and stops", async () => {
    // `sh -c` with a second command keeps the shell as the service's parent, as npx's shell does.
    const running = await start("sh", ["-c", `"${NODE}" "${BIN}" serve --port 0; true`], {
      npm_lifecycle_event: "npx",
    });
    process.kill(running.group, "SIGKILL");
    await expectStopped(running);
    expect(running.stderr()).toContain("the process that started it exited: shutting down");
  });
});
