// `countersign keys generate|public|cert`, in-process through runCli, and once as a real process.
import { spawnSync } from "node:child_process";
import { createPublicKey, X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../functions/cli/main.ts";
import { loadKeyFile } from "../../functions/node/key-files.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import { dummyCredentials, stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";

let dir: string;
let emulator: KmsEmulator;
let kmsUri: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keys-cli-"));
  stubAwsEnvironment();
  emulator = await startKmsEmulator();
  const { keyId } = await emulator.createKey("ECC_NIST_P256");
  await emulator.createAlias("alias/cli", keyId);
  kmsUri = `awskms://${new URL(emulator.endpoint).host}/alias/cli`;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { write: (chunk: string | Uint8Array) => (stdout += chunk.toString()) },
    stderr: { write: (chunk: string | Uint8Array) => (stderr += chunk.toString()) },
    env: process.env,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("countersign keys", () => {
  it("generate --out writes a 0600 key and prints its public key; public prints the same PEM", async () => {
    const out = join(dir, "es384.pem");
    const generated = await cli("keys", "generate", "--algorithm", "es384", "--out", out);
    expect(generated).toMatchObject({ code: 0 });
    expect(generated.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(generated.stdout).not.toContain("PRIVATE");
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const signer = await loadKeyFile(out);
    expect(signer.algorithm).toBe("ES384");
    expect(generated.stderr).toContain(signer.keyId);

    const shown = await cli("keys", "public", "--key", out);
    expect(shown).toEqual({ code: 0, stdout: generated.stdout, stderr: "" });
    const jwk = JSON.parse((await cli("keys", "public", "--key", out, "--jwk")).stdout);
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-384", kid: signer.keyId, alg: "ES384" });
    expect(jwk).not.toHaveProperty("d");
  });

  it("generate without --out prints a private key that loads; --jwk prints a JWK", async () => {
    const pem = await cli("keys", "generate");
    expect(pem.code).toBe(0);
    expect((await LocalSigner.fromPem(pem.stdout)).algorithm).toBe("ES256");
    const jwk = await cli("keys", "generate", "--algorithm", "PS256", "--jwk");
    expect((await LocalSigner.fromJwk(JSON.parse(jwk.stdout))).algorithm).toBe("PS256");
  });

  it("public --key awskms://… prints the KMS key's PEM, fetched through the SDK", async () => {
    const { code, stdout } = await cli("keys", "public", "--key", kmsUri);
    expect(code).toBe(0);
    expect(createPublicKey(stdout).asymmetricKeyDetails).toMatchObject({ namedCurve: "prime256v1" });
    expect(emulator.requests.at(-1)).toMatchObject({
      operation: "GetPublicKey",
      accessKeyId: dummyCredentials.accessKeyId,
    });
  });

  it("cert --key awskms://… prints a Notary leaf the KMS key signed", async () => {
    const { code, stdout } = await cli(
      "keys",
      "cert",
      "--key",
      kmsUri,
      "--subject",
      "CN=ci, O=Example, C=US",
      "--days",
      "30",
    );
    expect(code).toBe(0);
    const x509 = new X509Certificate(stdout);
    expect(x509.subject).toBe("C=US\nO=Example\nCN=ci");
    expect(x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.3"]);
    const publicPem = (await cli("keys", "public", "--key", kmsUri)).stdout;
    expect(x509.verify(createPublicKey(publicPem))).toBe(true);
    expect(new Date(x509.validTo).getTime() - new Date(x509.validFrom).getTime()).toBe(30 * 86_400_000);
  });

  it("reports usage errors with exit 2 and key errors with exit 1, never a key's bytes", async () => {
    expect(await cli("keys", "public")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--key is required"),
    });
    expect(await cli("keys", "generate", "--algorithm", "RS256")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("RSASSA-PKCS1-v1_5"),
    });
    expect(await cli("keys", "cert", "--key", "x", "--days", "0")).toMatchObject({ code: 2 });
    const missing = await cli(
      "keys",
      "public",
      "--key",
      `awskms://${new URL(emulator.endpoint).host}/alias/nope`,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NotFoundException/);
    expect(missing.stderr).not.toContain(dummyCredentials.secretAccessKey);
  });

  it("runs as the countersign executable", () => {
    const bin = join(import.meta.dirname, "../../bin/countersign.mjs");
    const run = spawnSync(process.execPath, [bin, "keys", "generate", "--algorithm", "ES256"], {
      encoding: "utf8",
    });
    expect(run.status).toBe(0);
    expect(createPublicKey(run.stdout).asymmetricKeyDetails).toMatchObject({ namedCurve: "prime256v1" });
    const help = spawnSync(process.execPath, [bin, "keys", "--help"], { encoding: "utf8" });
    expect(help.stdout).toMatch(/keys generate[\s\S]*keys public[\s\S]*keys cert/);
  });
});
