// lib/signing inside workerd: bundled for the browser like a Worker (so the AWS SDK's browser build,
// fetch and WebCrypto only, no nodejs_compat), served by the workerd binary, signing through the KMS
// emulator on loopback. Node verifies what comes back.
import { constants, createPublicKey, verify, X509Certificate } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import type { WorkerdResponse } from "../support/kms/workerd-worker.ts";
import { type RunningWorkerd, startWorkerd } from "../support/workers/workerd.ts";

let emulator: KmsEmulator;
let workerd: RunningWorkerd | undefined;
let base: string;
let keyArn: string;
let rsaArn: string;

beforeAll(async () => {
  emulator = await startKmsEmulator();
  const key = await emulator.createKey("ECC_NIST_P256");
  keyArn = key.arn;
  await emulator.createAlias("alias/workerd", key.keyId);
  rsaArn = (await emulator.createKey("RSA_2048")).arn;
  workerd = await startWorkerd(join(import.meta.dirname, "../support/kms/workerd-worker.ts"));
  base = workerd.url;
});

afterAll(async () => {
  await workerd?.stop();
  await emulator?.stop();
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
