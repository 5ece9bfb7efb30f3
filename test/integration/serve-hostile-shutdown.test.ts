// SIGTERM while a job hangs on a registry that never answers (issue 13: the process did not stop within
// 60 s). `countersign serve` as a process: the job is left `queue.drainMs` to finish, then its requests
// are aborted; the process exits on its own, gracefully, long before its 30 s shutdown limit, and the job
// is recorded as a failed attempt for the next start to resume.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultStorePath, openSqliteStore } from "../../functions/node/sqlite-store.ts";
import {
  type HostileRegistry,
  type Sentinel,
  startHostileRegistry,
  startSentinel,
} from "../support/registry/hostile-registry.ts";
import { DISTRIBUTION_EVENTS_V1, distributionPushEnvelope } from "../support/webhooks/distribution-events.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = join(ROOT, "node_modules/.bin/node");
const BIN = join(ROOT, "bin/countersign.mjs");
const PASSWORD = "serve-shutdown-registry-password";
const WEBHOOK_TOKEN = "serve-shutdown-webhook-token-0123";
const API_TOKEN = "serve-shutdown-api-token-0123456";
const DRAIN_MS = 1_000;

let work: string;
let sentinel: Sentinel;
let registry: HostileRegistry;
let child: ChildProcess | undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-hostile-shutdown-"));
  sentinel = await startSentinel();
  registry = await startHostileRegistry({
    username: "countersign",
    password: PASSWORD,
    auth: "basic",
    elsewhere: sentinel.origin,
    misbehaviours: { "evil/silent": { kind: "never-answer", path: /\/manifests\// } },
  });
});

afterAll(async () => {
  if (child?.exitCode === null) child.kill("SIGKILL");
  await registry?.stop();
  await sentinel?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("countersign serve, SIGTERM during a job that hangs on the registry", () => {
  it("exits gracefully within the drain and a few seconds, the job left to resume", async () => {
    const config = join(work, "countersign.json");
    await writeFile(
      config,
      JSON.stringify({
        dataDir: join(work, "data"),
        server: { host: "127.0.0.1", port: 0 },
        registries: [
          {
            host: registry.host,
            credentials: { username: "countersign", password: PASSWORD },
            repositories: ["evil/**"],
          },
        ],
        webhooks: [
          { name: "distribution", kind: "distribution", settings: { auth: { bearer: WEBHOOK_TOKEN } } },
        ],
        api: { tokens: [API_TOKEN] },
        queue: { drainMs: DRAIN_MS },
      }),
    );
    child = spawn(NODE, [BIN, "serve", "--config", config], {
      cwd: work,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const exited = new Promise<number | null>((done) => child!.once("exit", (code) => done(code)));
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no "listening on" within 60 s: ${stderr}`)), 60_000);
      child!.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          done(match[1]!);
        }
      });
    });

    const digest = `sha256:${"7".repeat(64)}`;
    const delivered = await fetch(`${url}/webhooks/distribution`, {
      method: "POST",
      headers: { "content-type": DISTRIBUTION_EVENTS_V1, authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify(distributionPushEnvelope(registry.host, "evil/silent", { digest }, "v1")),
    });
    const [jobId] = ((await delivered.json()) as { accepted: string[] }).accepted;
    // Wait until the job is in the registry's grip.
    for (let i = 0; ; i++) {
      const job = (await (
        await fetch(`${url}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
      ).json()) as {
        status: string;
      };
      if (job.status === "running" && registry.requests.some((r) => r.repository === "evil/silent")) break;
      if (i > 200) throw new Error(`the job never started: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const stopping = Date.now();
    child.kill("SIGTERM");
    const code = await exited;
    const took = Date.now() - stopping;
    expect(code, stderr).toBe(0);
    // The drain, then the abort: far from the 30 s limit that would force the exit, and from 12 minutes.
    expect(took).toBeLessThan(DRAIN_MS + 8_000);
    expect(stderr).not.toContain(PASSWORD);

    const store = await openSqliteStore(defaultStorePath(join(work, "data")));
    try {
      const job = await store.getJob(jobId!);
      expect(job?.status).toBe("failed");
      expect(job?.lastError).toContain("the service is shutting down");
    } finally {
      store.close();
    }
    expect(sentinel.connections).toBe(0);
  });
});
