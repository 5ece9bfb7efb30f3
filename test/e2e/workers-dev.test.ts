// The local Workers walkthrough of docs/cloudflare.md as a test (issue 14 item 8): examples/dev.vars
// copied to .dev.vars beside wrangler.toml, `wrangler dev --local` serving the Worker, a real distribution
// 2.8 registry notifying it, the KMS emulator standing in for AWS KMS. The push is signed in every format
// and the Worker's own /v1/verify says so. The sample's values are used as written; only the registry's
// port and the KMS endpoint (both chosen at run time) are put in. Nothing is written to the checkout:
// wrangler.toml is copied to a temporary folder with its paths made absolute.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import {
  countersignWebhook,
  freePort,
  type RunningRegistry,
  startRegistry,
} from "../support/registry/distribution.ts";
import { buildAndPushImage } from "../support/registry/images.ts";
import { offlineWranglerEnv, projectRoot } from "../support/workers/local-worker.ts";

const WRANGLER = join(projectRoot, "node_modules/wrangler/bin/wrangler.js");

let work: string;
let kms: KmsEmulator;
let registry: RunningRegistry;
let wrangler: ChildProcess;
let output = "";
let workerUrl: string;
let devVars: Record<string, string>;

/** dotenv as wrangler reads .dev.vars: single quotes literal, double quotes may span lines. */
function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const match of text.matchAll(/^([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|"([^"]*)"|(.*))$/gm)) {
    vars[match[1]!] = match[2] ?? match[3] ?? match[4]!.trim();
  }
  return vars;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-wrangler-dev-"));
  kms = await startKmsEmulator();
  const key = await kms.createKey("ECC_NIST_P256");
  await kms.createAlias("alias/countersign", key.keyId);

  const sample = await readFile(join(projectRoot, "examples/dev.vars"), "utf8");
  devVars = parseDevVars(sample);
  const port = await freePort();
  workerUrl = `http://127.0.0.1:${port}`;
  registry = await startRegistry({
    notifications: [countersignWebhook(`${workerUrl}/webhooks/distribution`, devVars.WEBHOOK_TOKEN!)],
  });
  await writeFile(
    join(work, ".dev.vars"),
    sample
      .replaceAll("127.0.0.1:5000", registry.host)
      .replace(/^AWS_ENDPOINT_URL_KMS=.*$/m, `AWS_ENDPOINT_URL_KMS=${kms.endpoint}`),
  );
  // wrangler.toml as it is, its paths made absolute, beside the .dev.vars (wrangler reads it from there).
  const toml = (await readFile(join(projectRoot, "wrangler.toml"), "utf8"))
    .replace(/^main = "(.*)"$/m, (_, main: string) => `main = "${join(projectRoot, main)}"`)
    .replace(/= "\.\/(functions\/[^"]+)"/g, (_, path: string) => `= "${join(projectRoot, path)}"`);
  await writeFile(join(work, "wrangler.toml"), toml);

  wrangler = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      join(work, "state"),
    ],
    {
      cwd: work,
      env: { ...process.env, ...offlineWranglerEnv, HOME: work, XDG_CONFIG_HOME: join(work, ".config") },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  wrangler.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  wrangler.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const up = await fetch(`${workerUrl}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (wrangler.exitCode !== null || Date.now() > deadline) {
      throw new Error(`wrangler dev did not serve ${workerUrl}/healthz:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}, 180_000);

afterAll(async () => {
  if (wrangler?.pid !== undefined) {
    try {
      process.kill(-wrangler.pid, "SIGTERM");
    } catch {
      // gone already
    }
  }
  await Promise.all([registry?.stop(), kms?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("wrangler dev --local with examples/dev.vars", () => {
  it("keeps .dev.vars out of git", () => {
    expect(execFileSync("git", ["check-ignore", ".dev.vars"], { cwd: projectRoot }).toString().trim()).toBe(
      ".dev.vars",
    );
  });

  it("signs a push in every format through the KMS emulator, and its /v1/verify says so", async () => {
    const image = await buildAndPushImage(`${registry.host}/team/app:v1`, { layers: 1 });
    const deadline = Date.now() + 90_000;
    let report:
      | { verified: boolean; digest: string; formats: { format: string; verified: boolean }[] }
      | undefined;
    while (Date.now() < deadline) {
      const response = await fetch(`${workerUrl}/v1/verify?ref=${registry.host}/team/app:v1`, {
        headers: { authorization: `Bearer ${devVars.API_TOKEN}` },
      });
      if (response.ok) {
        report = await response.json();
        if (report?.verified && report.formats.length === 3) break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(report, output.slice(-4000)).toMatchObject({
      digest: image.digest,
      verified: true,
      formats: expect.arrayContaining(
        ["notary", "cosign", "bundle"].map((format) => expect.objectContaining({ format, verified: true })),
      ),
    });
    // Three signatures and the self-signed Notary certificate, all signed in the emulator.
    expect(kms.calls.Sign.succeeded).toBeGreaterThanOrEqual(3);
  });
});
