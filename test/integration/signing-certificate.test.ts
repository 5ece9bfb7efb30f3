// Notary certificates as OpenSSL sees them, including ones signed by a KMS key (through the emulator).
import { execFileSync, spawnSync } from "node:child_process";
import { createPublicKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { certificatePem, createNotaryCertificate } from "../../lib/signing/certificate.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";

let emulator: KmsEmulator;
let dir: string;

beforeAll(async () => {
  if (spawnSync("openssl", ["version"]).status !== 0) {
    throw new Error("these tests need the openssl binary: apt-get install -y openssl");
  }
  stubAwsEnvironment();
  emulator = await startKmsEmulator();
  dir = mkdtempSync(join(tmpdir(), "signing-certificate-"));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `openssl verify` with the certificate as its own trust anchor; a trust anchor's own signature is checked only with -check_ss_sig. */
function opensslVerify(der: Uint8Array): { ok: boolean; output: string } {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(path, certificatePem(der));
  const run = spawnSync("openssl", [
    "verify",
    "-x509_strict",
    "-check_ss_sig",
    "-partial_chain",
    "-purpose",
    "any",
    "-CAfile",
    path,
    path,
  ]);
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

function opensslText(der: Uint8Array): string {
  return execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-text"], { input: der }).toString();
}

async function kmsSigner(spec: "ECC_NIST_P256" | "RSA_3072"): Promise<KmsSigner> {
  const { arn } = await emulator.createKey(spec);
  return KmsSigner.open(`awskms://${new URL(emulator.endpoint).host}/${arn}`);
}

describe("Notary certificates under OpenSSL", () => {
  it.each([
    ["KMS P-256", () => kmsSigner("ECC_NIST_P256"), "ecdsa-with-SHA256"],
    ["KMS RSA-3072", () => kmsSigner("RSA_3072"), "rsassaPss"],
    ["local P-384", () => LocalSigner.generate("ES384"), "ecdsa-with-SHA384"],
  ] as const)(
    "%s: signed by the key itself, strict-valid, code-signing leaf",
    async (_name, open, algorithm) => {
      const signer: Signer = await open();
      emulator.resetCalls();
      const der = await createNotaryCertificate(signer, { subject: "CN=Countersign, O=Example, C=US" });
      if (signer instanceof KmsSigner)
        expect(emulator.calls.Sign).toEqual({ received: 1, succeeded: 1, failed: 0 });

      const x509 = new X509Certificate(Buffer.from(der));
      expect(x509.verify(createPublicKey((await signer.publicKey()).pem))).toBe(true);
      const verified = opensslVerify(der);
      expect(verified.output).toContain(": OK");
      expect(verified.ok).toBe(true);

      const text = opensslText(der);
      expect(text).toContain(`Signature Algorithm: ${algorithm}`);
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\s/);
      expect(text).toMatch(/X509v3 Extended Key Usage:\s+Code Signing\s/);
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toContain("Subject: C = US, O = Example, CN = Countersign");
      if (algorithm === "rsassaPss") {
        expect(text).toMatch(/Hash Algorithm: sha384\s+Mask Algorithm: mgf1 with sha384\s+Salt Length: 0x30/);
      }
    },
  );

  it("fails OpenSSL's verification once a signature byte changes", async () => {
    const der = await createNotaryCertificate(await kmsSigner("ECC_NIST_P256"), { subject: "CN=tampered" });
    const tampered = Uint8Array.from(der, (b, i) => (i === der.length - 5 ? b ^ 0x01 : b));
    const result = opensslVerify(tampered);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/signature failure|bad signature|error/i);
  });
});
