// lib/signing inside workerd: bundled for the browser like a Worker (so the AWS SDK's browser build,
// fetch and WebCrypto only, no nodejs_compat), served by the workerd binary, signing through the KMS
// emulator on loopback. Node verifies what comes back.
import { type ChildProcess, spawn } from "node:child_process";
import { constants, createPublicKey, verify, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import type { WorkerdResponse } from "../support/kms/workerd-worker.ts";

const workerdBinary = join(import.meta.dirname, "../../node_modules/.bin/workerd");

let dir: string;
let emulator: KmsEmulator;
let workerd: ChildProcess | undefined;
let base: string;
let keyArn: string;
let rsaArn: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitUntilServing(url: string, process: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (process.exitCode !== null) throw new Error(`workerd exited with ${process.exitCode}`);
    const ok = await fetch(url, { method: "HEAD" }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("workerd did not start serving within 10 s");
}

beforeAll(async () => {
  if (!existsSync(workerdBinary)) {
    throw new Error("workerd is missing: run npm install (it comes with wrangler)");
  }
  dir = await mkdtemp(join(tmpdir(), "signing-workerd-"));
  emulator = await startKmsEmulator();
  const key = await emulator.createKey("ECC_NIST_P256");
  keyArn = key.arn;
  await emulator.createAlias("alias/workerd", key.keyId);
  rsaArn = (await emulator.createKey("RSA_2048")).arn;
  await build({
    entryPoints: [join(import.meta.dirname, "../support/kms/workerd-worker.ts")],
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
    (name = "internet", network = (allow = ["private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2025-01-01",
);
`,
  );
  workerd = spawn(workerdBinary, ["serve", join(dir, "config.capnp")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  base = `http://127.0.0.1:${port}`;
  await waitUntilServing(base, workerd);
});

afterAll(async () => {
  workerd?.kill();
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("lib/signing in workerd", () => {
  it("signs with a KMS key (SDK browser build) and a local key, makes certificates, and signs RS256", async () => {
    emulator.resetCalls();
    const host = new URL(emulator.endpoint).host;
    const uri = encodeURIComponent(`awskms://${host}/alias/workerd`);
    const rsaUri = encodeURIComponent(`awskms://${host}/${rsaArn}`);
    const response = await fetch(`${base}/?uri=${uri}&rsaUri=${rsaUri}&message=workerd`);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    const { rs256, ...results } = JSON.parse(text) as WorkerdResponse;
    expect(results.kms.keyId).toBe(keyArn);

    const message = Buffer.from("workerd");
    for (const result of [rs256.kms, rs256.local]) {
      const key = { key: createPublicKey(result.pem), padding: constants.RSA_PKCS1_PADDING };
      expect(verify("sha256", message, key, Buffer.from(result.rs256, "base64"))).toBe(true);
    }
    for (const result of Object.values(results)) {
      const key = createPublicKey(result.pem);
      const raw = Buffer.from(result.raw, "base64");
      expect(verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, raw)).toBe(true);
      expect(verify("sha256", message, { key, dsaEncoding: "der" }, Buffer.from(result.der, "base64"))).toBe(
        true,
      );
      const large = Buffer.alloc(5000, 3);
      expect(
        verify("sha256", large, { key, dsaEncoding: "der" }, Buffer.from(result.largeDer, "base64")),
      ).toBe(true);
      const certificate = new X509Certificate(result.certificate);
      expect(certificate.verify(key)).toBe(true);
      expect(certificate.subject).toBe("CN=workerd");
    }
    // raw, der, large (DIGEST) and the certificate: four signatures, four Sign calls, one GetPublicKey;
    // then the RSA key's one RS256 signature.
    expect(emulator.calls.Sign).toEqual({ received: 5, succeeded: 5, failed: 0 });
    expect(emulator.calls.GetPublicKey.succeeded).toBe(2);
    expect(emulator.requests.at(-1)).toMatchObject({
      accessKeyId: "AKIDWORKERD",
      region: "us-east-1",
      signingAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
    });
  });
});
