// Key files and the data-directory key on a real filesystem.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  dataDirCertificateFile,
  dataDirCertificateStore,
  dataDirKeyFile,
  loadKeyFile,
  loadOrCreateDataDirKey,
  openSigner,
  writeKeyFile,
} from "../../functions/node/key-files.ts";
import { notaryCertificateChain } from "../../lib/signing/certificate-store.ts";
import { KeyFormatError } from "../../lib/signing/errors.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";

let dir: string;
let emulator: KmsEmulator;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "key-files-"));
  stubAwsEnvironment();
  emulator = await startKmsEmulator();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fresh(name: string): Promise<string> {
  return mkdtemp(join(dir, `${name}-`));
}

async function thumbprintOf(pem: string): Promise<string> {
  const jwk = createPrivateKey(pem).export({ format: "jwk" });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return calculateJwkThumbprint(publicJwk as JWK);
}

describe("loadKeyFile", () => {
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

  it.each([
    ["PKCS#8 PEM", () => ec.export({ type: "pkcs8", format: "pem" }).toString(), "ES256"],
    ["SEC1 PEM (EC PRIVATE KEY)", () => ec.export({ type: "sec1", format: "pem" }).toString(), "ES256"],
    ["PKCS#1 PEM (RSA PRIVATE KEY)", () => rsa.export({ type: "pkcs1", format: "pem" }).toString(), "PS256"],
    ["private JWK", () => JSON.stringify(ec.export({ format: "jwk" })), "ES256"],
  ] as const)("reads a %s", async (_name, content, algorithm) => {
    const path = join(dir, `key-${algorithm}-${Math.random()}`);
    await writeFile(path, content());
    const signer = await loadKeyFile(path);
    expect(signer.algorithm).toBe(algorithm);
    const source = algorithm === "PS256" ? rsa : ec;
    expect(signer.keyId).toBe(await thumbprintOf(source.export({ type: "pkcs8", format: "pem" }).toString()));
  });

  it("refuses encrypted keys, public keys and broken JSON, naming the file but quoting nothing", async () => {
    const secret = ec
      .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" })
      .toString();
    const encrypted = join(dir, "encrypted.pem");
    await writeFile(encrypted, secret);
    await expect(loadKeyFile(encrypted)).rejects.toThrow(
      /encrypted\.pem: encrypted private keys are not supported/,
    );

    const publicPem = join(dir, "public.pem");
    await writeFile(publicPem, createPublicKey(ec).export({ type: "spki", format: "pem" }));
    await expect(loadKeyFile(publicPem)).rejects.toThrow(/public\.pem: no private key found/);

    const jwk = ec.export({ format: "jwk" });
    const broken = join(dir, "broken.json");
    await writeFile(broken, `${JSON.stringify(jwk).slice(0, -1)},}`);
    const error = await loadKeyFile(broken).then(
      () => new Error("expected a rejection"),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(KeyFormatError);
    expect(error.message).toBe(`${broken}: not valid JSON`);
    expect(`${error.message}${String(error.cause)}`).not.toContain(jwk.d);

    await expect(loadKeyFile(join(dir, "missing.pem"))).rejects.toThrow(
      /missing.pem: cannot read the key file: no such file or directory$/,
    );
  });
});

describe("writeKeyFile", () => {
  it("writes 0600 files and never overwrites", async () => {
    const signer = await LocalSigner.generate();
    const path = join(await fresh("write"), "key.json");
    await writeKeyFile(path, signer, "jwk");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await loadKeyFile(path)).keyId).toBe(signer.keyId);
    await expect(writeKeyFile(path, await LocalSigner.generate())).rejects.toMatchObject({ code: "EEXIST" });
    expect((await loadKeyFile(path)).keyId).toBe(signer.keyId);
  });
});

describe("the data-directory key", () => {
  it("is a P-256 key generated once, kept 0600 at <dataDir>/signing-key.pem", async () => {
    const dataDir = join(await fresh("data"), "nested", "dir");
    const first = await loadOrCreateDataDirKey(dataDir);
    expect(first.algorithm).toBe("ES256");
    const path = join(dataDir, dataDirKeyFile);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((await loadOrCreateDataDirKey(dataDir)).keyId).toBe(first.keyId);
  });

  it("is one key when many processes start at once", async () => {
    const dataDir = await fresh("race");
    const signers = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateDataDirKey(dataDir)));
    expect(new Set(signers.map((s) => s.keyId)).size).toBe(1);
    expect(await readdir(dataDir)).toEqual([dataDirKeyFile]);
    expect((await loadKeyFile(join(dataDir, dataDirKeyFile))).keyId).toBe(signers[0]?.keyId);
  });

  it("is never silently replaced when unreadable", async () => {
    const dataDir = await fresh("corrupt");
    await writeFile(
      join(dataDir, dataDirKeyFile),
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    await expect(loadOrCreateDataDirKey(dataDir)).rejects.toThrow(KeyFormatError);
    expect(await readFile(join(dataDir, dataDirKeyFile), "utf8")).toContain("AAAA");
  });
});

const loadOrCreateDataDirCertificate = (
  dataDir: string,
  signer: Signer,
  options: { validityDays?: number; renewWithinDays?: number } = {},
) => notaryCertificateChain({ signer, store: dataDirCertificateStore(dataDir), ...options });

describe("the data-directory certificate", () => {
  it("stays the same across restarts, and follows a change of key or an approaching expiry", async () => {
    const dataDir = await fresh("cert");
    const signer = await loadOrCreateDataDirKey(dataDir);
    const [first] = await loadOrCreateDataDirCertificate(dataDir, signer);
    const [again] = await loadOrCreateDataDirCertificate(dataDir, signer);
    expect(again).toEqual(first);
    expect(await readFile(join(dataDir, dataDirCertificateFile), "utf8")).toMatch(
      /^-----BEGIN CERTIFICATE-----/,
    );

    const [other] = await loadOrCreateDataDirCertificate(dataDir, await LocalSigner.generate());
    expect(other).not.toEqual(first);

    const [short] = await loadOrCreateDataDirCertificate(dataDir, signer, { validityDays: 10 });
    const [renewed] = await loadOrCreateDataDirCertificate(dataDir, signer, { renewWithinDays: 30 });
    expect(renewed).not.toEqual(short);
    expect(await loadOrCreateDataDirCertificate(dataDir, signer)).toEqual([renewed]);
  });
});

describe("openSigner", () => {
  it("opens an awskms:// key, a key file, or the data-directory key", async () => {
    const { arn } = await emulator.createKey("ECC_NIST_P256");
    const kms = await openSigner(`awskms://${new URL(emulator.endpoint).host}/${arn}`);
    expect(kms).toBeInstanceOf(KmsSigner);
    expect(kms.keyId).toBe(arn);

    const dataDir = await fresh("open");
    const fromDataDir = await openSigner(undefined, { dataDir });
    const fromFile = await openSigner(join(dataDir, dataDirKeyFile));
    expect(fromFile.keyId).toBe(fromDataDir.keyId);
    await expect(openSigner(undefined)).rejects.toThrow(KeyFormatError);
  });
});
