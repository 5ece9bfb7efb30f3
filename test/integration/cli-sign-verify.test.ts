// `countersign sign` and `countersign verify` as a user runs them (child processes on Node 24) against
// a real distribution 2.8 registry (no referrers API: the fallback index) and the KMS emulator.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { runCountersign } from "../support/cli.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import { assertValidIndex, assertValidManifest } from "../support/oci/schema.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage, type PushedIndex, pushMultiArchIndex } from "../support/registry/images.ts";

let work: string;
let registry: RunningRegistry;
let kms: KmsEmulator;
let image: Descriptor;
let multi: PushedIndex;

function cli(args: readonly string[], env: Record<string, string> = {}) {
  return runCountersign(args, { cwd: work, env, timeoutMs: 60_000 });
}

async function fallback(repository: string, digest: string): Promise<Descriptor[]> {
  const index = await new RegistryClient(registry.host).repository(repository).fallbackIndex(digest);
  if (index === undefined) return [];
  const fetched = await new RegistryClient(registry.host)
    .repository(repository)
    .fetchManifest(index.descriptor.digest);
  assertValidIndex(fetched.bytes);
  return [...(index.index.manifests as Descriptor[])];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-cli-sign-"));
  await mkdir(join(work, "docker"));
  await writeFile(join(work, "docker", "config.json"), "{}");
  [registry, kms] = await Promise.all([startRegistry(), startKmsEmulator()]);
  image = await buildAndPushImage(`${registry.host}/team/app:v1`, { layers: 2 });
  multi = await pushMultiArchIndex(registry.host, "team/multi:v1", ["linux/amd64", "linux/arm64"]);
  const generated = await cli(["keys", "generate", "--out", join(work, "key.pem")]);
  expect(generated.code, generated.stderr).toBe(0);
  await writeFile(join(work, "key.pub"), generated.stdout);
  await mkdir(join(work, "trust"));
  const cert = await cli(["sign", `${registry.host}/team/app:v1`, "--key", "key.pem", "--format", "notary"]);
  expect(cert.code, cert.stderr).toBe(0);
  await writeFile(
    join(work, "trust", "countersign.pem"),
    await import("node:fs/promises").then((fs) =>
      fs.readFile(join(work, ".countersign", "signing-cert.pem")),
    ),
  );
});

afterAll(async () => {
  await registry?.stop();
  await kms?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("countersign sign / verify", () => {
  it("signs every format, and verify says which verified", async () => {
    const signed = await cli(["sign", `${registry.host}/team/app:v1`, "--key", "key.pem"]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toMatch(/^notary\tsha256:[0-9a-f]{64}\talready signed/m);
    expect(signed.stdout).toMatch(/^cosign\tsha256:[0-9a-f]{64}\tsigned: sha256:/m);
    expect(signed.stdout).toMatch(/^bundle\tsha256:[0-9a-f]{64}\tsigned: sha256:/m);

    const verified = await cli([
      "verify",
      `${registry.host}/team/app@${image.digest}`,
      "--key",
      "key.pub",
      "--trust-store",
      "trust",
    ]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/✓ notary/);
    expect(verified.stdout).toMatch(/✓ cosign/);
    expect(verified.stdout).toMatch(/✓ bundle/);
    const entries = await fallback("team/app", image.digest);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      const fetched = await new RegistryClient(registry.host)
        .repository("team/app")
        .fetchManifest(entry.digest);
      assertValidManifest(fetched.bytes);
    }
  });

  it("signing the same image twice leaves the fallback index free of duplicates", async () => {
    const again = await cli(["sign", `${registry.host}/team/app:v1`, "--key", "key.pem"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.match(/already signed/g)).toHaveLength(3);
    expect(await fallback("team/app", image.digest)).toHaveLength(2);
  });

  it("verify fails (exit 1) with another key, and says why", async () => {
    const other = await cli(["keys", "generate", "--out", join(work, "other.pem")]);
    expect(other.code).toBe(0);
    const result = await cli([
      "verify",
      `${registry.host}/team/app:v1`,
      "--key",
      "other.pem",
      "--format",
      "cosign",
      "--format",
      "bundle",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ cosign\t.*signature/);
    expect(result.stdout).toMatch(/✗ bundle/);
  });

  it("--recursive signs a multi-arch index and each platform manifest", async () => {
    const signed = await cli(["sign", `${registry.host}/team/multi:v1`, "--key", "key.pem", "--recursive"]);
    expect(signed.code, signed.stderr).toBe(0);
    for (const digest of [multi.index.digest, ...multi.manifests.map((m) => m.digest)]) {
      const verified = await cli([
        "verify",
        `${registry.host}/team/multi@${digest}`,
        "--key",
        "key.pub",
        "--trust-store",
        "trust",
      ]);
      expect(verified.code, `${digest}: ${verified.stdout}`).toBe(0);
    }
  });

  it("verify works on an OCI layout copied with its referrers", async () => {
    const copied = await cli(["copy", "--referrers", `${registry.host}/team/app:v1`, "oci-layout:layout:v1"]);
    expect(copied.code, copied.stderr).toBe(0);
    const verified = await cli([
      "verify",
      `oci-layout:layout@${image.digest}`,
      "--key",
      "key.pub",
      "--trust-store",
      "trust",
    ]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout.match(/✓/g)).toHaveLength(3);
  });

  it("signs with an AWS KMS key (the real SDK against the emulator)", async () => {
    const key = await kms.createKey("ECC_NIST_P256");
    await kms.createAlias("alias/countersign", key.keyId);
    const env = {
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "example-secret",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
    };
    const uri = "awskms:///alias/countersign";
    const signed = await cli(
      ["sign", `${registry.host}/team/app:v1`, "--key", uri, "--format", "cosign", "--format", "bundle"],
      env,
    );
    expect(signed.code, signed.stderr).toBe(0);
    const publicKey = await cli(["keys", "public", "--key", uri], env);
    expect(publicKey.code, publicKey.stderr).toBe(0);
    await writeFile(join(work, "kms.pub"), publicKey.stdout);
    const verified = await cli(
      [
        "verify",
        `${registry.host}/team/app:v1`,
        "--key",
        "kms.pub",
        "--format",
        "cosign",
        "--format",
        "bundle",
      ],
      env,
    );
    expect(verified.code, verified.stdout).toBe(0);
    expect(signed.stderr).not.toContain("example-secret");
  });

  it("refuses a usage error with exit 2 and no stack trace", async () => {
    const result = await cli(["sign", `${registry.host}/team/app:v1`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--key is required");
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
