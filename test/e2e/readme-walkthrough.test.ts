// The README's "From nothing to a signed image", run as written (issue 14 item 1, issue 8 item 6): every
// `sh` block of that section, in order, in a temporary folder, with `countersign` on PATH (the checkout's
// CLI on Node 24), Debian's docker-registry, skopeo and umoci, and the real cosign v3 and notation. The
// only change to the text is the two ports (8080, 5000), swapped for free ones so that runs cannot
// collide. The walkthrough writes nothing into the checkout.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { peer } from "../peers/tools.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = join(ROOT, "node_modules/.bin/node");
const SECTION = "## From nothing to a signed image";
/** What the walkthrough writes in its folder: none of it may appear in the checkout. */
const WRITTEN = [
  "registry.yml",
  "registry-data",
  "image",
  ".countersign",
  "app.digest",
  "countersign.pub",
  "trustpolicy.json",
];
/** Commands that keep running ("in a terminal of its own"), and the port that says they are up. */
const SERVICES: [RegExp, "service" | "registry"][] = [
  [/^countersign serve\b/, "service"],
  [/^docker-registry serve\b/, "registry"],
];
/** "A second later it is signed": the first check after the push is retried for this long. */
const SIGNED_WITHIN_MS = 60_000;

interface Block {
  readonly language: string;
  readonly text: string;
}

/** Fenced blocks of a Markdown section, de-indented as CommonMark does inside list items. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\w+)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== "```"; i++) body.push(lines[i]!.slice(indent));
    blocks.push({ language: open[2]!, text: `${body.join("\n")}\n` });
  }
  return blocks;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

interface Run {
  readonly code: number;
  readonly output: string;
}

let work: string;
let env: Record<string, string>;
let ports: { service: number; registry: number };
let readme: string;
const services: { child: ChildProcess; log: () => string }[] = [];
const existedBefore = new Set<string>();

function bash(script: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      "bash",
      ["-euo", "pipefail", "-c", script],
      { cwd: work, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

async function startService(script: string, port: number): Promise<void> {
  const child = spawn("bash", ["-c", script], {
    cwd: work,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  services.push({ child, log: () => log });
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${script.trim()} did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function serviceLogs(): string {
  return services.map(({ log }) => log().split("\n").slice(-15).join("\n")).join("\n---\n");
}

beforeAll(async () => {
  readme = await readFile(join(ROOT, "README.md"), "utf8");
  for (const name of WRITTEN) if (existsSync(join(ROOT, name))) existedBefore.add(name);
  work = await mkdtemp(join(tmpdir(), "countersign-walkthrough-"));
  const home = join(work, ".home");
  const shims = join(home, "bin");
  await mkdir(join(home, ".docker"), { recursive: true });
  await writeFile(join(home, ".docker", "config.json"), "{}");
  await mkdir(shims);
  // `countersign` as the Install section puts it on PATH, here the checkout's CLI on the project's Node 24.
  await writeFile(
    join(shims, "countersign"),
    `#!/bin/sh\nexec "${NODE}" "${join(ROOT, "bin/countersign.mjs")}" "$@"\n`,
  );
  await chmod(join(shims, "countersign"), 0o755);
  const tools = [dirname(peer("cosign-v3")), dirname(peer("notation"))];
  env = {
    PATH: [shims, ...tools, process.env.PATH ?? "/usr/bin:/bin"].join(":"),
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    DOCKER_CONFIG: join(home, ".docker"),
    LANG: "C.UTF-8",
  };
  ports = { service: await freePort(), registry: await freePort() };
}, 60_000);

afterAll(async () => {
  for (const { child } of services) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    } catch {
      // gone already
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const { child } of services) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the README walkthrough", () => {
  it("ships its example files as the README writes them", async () => {
    const section = readme.slice(readme.indexOf(SECTION));
    const heredoc = (file: string) => {
      const match = new RegExp(`cat > ${file.replace(".", "\\.")} <<'EOF'\\n([\\s\\S]*?)\\nEOF\\n`).exec(
        fencedBlocks(section.slice(0, section.indexOf("\n## ")))
          .map((b) => b.text)
          .join(""),
      );
      expect(match, `README writes ${file} with a heredoc`).not.toBeNull();
      return `${match![1]}\n`;
    };
    expect(heredoc("registry.yml")).toBe(await readFile(join(ROOT, "examples/registry.yml"), "utf8"));
    expect(heredoc("trustpolicy.json")).toBe(await readFile(join(ROOT, "examples/trustpolicy.json"), "utf8"));
  });

  it("runs as written: Countersign signs the pushed image, and cosign and notation verify it", async () => {
    const start = readme.indexOf(SECTION);
    expect(start, `README.md has "${SECTION}"`).toBeGreaterThan(-1);
    const section = readme.slice(start, readme.indexOf("\n## ", start + SECTION.length));
    const blocks = fencedBlocks(section).filter((block) => block.language === "sh");
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const started = performance.now();
    const ran: string[] = [];
    let pushed = false;
    let waited = false;
    for (const block of blocks) {
      const script = block.text
        .replaceAll("127.0.0.1:5000", `127.0.0.1:${ports.registry}`)
        .replaceAll("127.0.0.1:8080", `127.0.0.1:${ports.service}`)
        .replaceAll("--port 8080", `--port ${ports.service}`);
      const service = SERVICES.find(([pattern]) => pattern.test(script.trim()));
      if (service) {
        await startService(script, ports[service[1]]);
        ran.push(`[${service[1]}] ${script.trim()}`);
        continue;
      }
      let result = await bash(script);
      // The first block after the push asks whether the image is signed yet: it may take a moment.
      if (pushed && !waited) {
        const deadline = Date.now() + SIGNED_WITHIN_MS;
        while (result.code !== 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 1000));
          result = await bash(script);
        }
        waited = true;
      }
      expect(result.code, `${script}\n${result.output}\nservices:\n${serviceLogs()}`).toBe(0);
      ran.push(script.trim());
      if (/skopeo copy/.test(script)) pushed = true;
      if (/countersign verify/.test(script)) {
        expect(result.output).toMatch(/✓ notary/);
        expect(result.output).toMatch(/✓ cosign/);
        expect(result.output).toMatch(/✓ bundle/);
        expect(result.output).toMatch(/\(cosign tag\)/);
      }
      if (/cosign verify/.test(script)) {
        // cosign's JSON says which path it verified: the bundle by default, the .sig tag when asked.
        expect(result.output).toContain("The signatures were verified against the specified public key");
      }
      if (/notation verify/.test(script)) expect(result.output).toMatch(/Successfully verified signature/);
    }
    expect(ran.join("\n")).toMatch(/cosign verify[\s\S]*notation verify/);
    console.log(
      `README walkthrough: ${((performance.now() - started) / 1000).toFixed(1)} s, ${ran.length} blocks`,
    );
    for (const name of WRITTEN) {
      if (!existedBefore.has(name))
        expect(existsSync(join(ROOT, name)), `${name} in the checkout`).toBe(false);
    }
  });
});
