// KmsSigner through the real @aws-sdk/client-kms against the KMS emulator.
import { constants, createPublicKey, verify } from "node:crypto";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { KmsError, UnsupportedKeyError } from "../../lib/signing/errors.ts";
import { parseKmsKeyUri } from "../../lib/signing/key-uri.ts";
import { createKmsClient, KmsSigner, type KmsSignerOptions } from "../../lib/signing/kms.ts";
import { verifySignature } from "../../lib/signing/public-key.ts";
import { dummyCredentials, stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";

let emulator: KmsEmulator;
let host: string;
let p256: { keyId: string; arn: string };
let rsa: { keyId: string; arn: string };

// Fast backoff: the schedule is what is under test, not the wall clock.
const fast: KmsSignerOptions = { retry: { baseDelayMs: 1, maxDelayMs: 5 } };
const message = new TextEncoder().encode(
  '{"targetArtifact":{"mediaType":"application/vnd.oci.image.manifest.v1+json"}}',
);

beforeAll(async () => {
  stubAwsEnvironment();
  emulator = await startKmsEmulator();
  host = new URL(emulator.endpoint).host;
  p256 = await emulator.createKey("ECC_NIST_P256");
  rsa = await emulator.createKey("RSA_3072");
  await emulator.createAlias("alias/countersign", p256.keyId);
  await emulator.createAlias("alias/countersign-rsa", rsa.keyId);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator?.stop();
});

function opensslVerifies(
  pem: string,
  algorithm: string,
  data: Uint8Array,
  signature: Uint8Array,
  der: boolean,
) {
  const hash = `sha${algorithm.slice(2)}`;
  const key = createPublicKey(pem);
  const options = algorithm.startsWith("PS")
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, dsaEncoding: der ? ("der" as const) : ("ieee-p1363" as const) };
  return verify(hash, data, options, signature);
}

describe("KmsSigner", () => {
  it.each([
    ["P-256 by key ARN", () => `awskms://${host}/${p256.arn}`, () => p256, "ES256", 64],
    ["RSA-3072 by key id", () => `awskms://${host}/${rsa.keyId}`, () => rsa, "PS384", 384],
  ] as const)(
    "%s: signs in both encodings, one Sign call each",
    async (_name, uri, key, algorithm, rawLength) => {
      emulator.resetCalls();
      const signer = await KmsSigner.open(uri(), fast);
      expect(signer.keyId).toBe(key().arn);
      expect(signer.algorithm).toBe(algorithm);
      const { spki, pem, jwk } = await signer.publicKey();
      expect(jwk).toMatchObject({ alg: algorithm, use: "sig" });

      const raw = await signer.sign(message, "raw");
      const der = await signer.sign(message, "der");
      expect(raw.length).toBe(rawLength);
      expect(await verifySignature({ spki, algorithm, data: message, signature: raw, encoding: "raw" })).toBe(
        true,
      );
      expect(await verifySignature({ spki, algorithm, data: message, signature: der, encoding: "der" })).toBe(
        true,
      );
      expect(opensslVerifies(pem, algorithm, message, raw, false)).toBe(true);
      expect(opensslVerifies(pem, algorithm, message, der, true)).toBe(true);
      await signer.publicKey();
      expect(emulator.calls.GetPublicKey.received).toBe(1);
      expect(emulator.calls.DescribeKey.received).toBe(0);
      expect(emulator.calls.Sign).toEqual({ received: 2, succeeded: 2, failed: 0 });
    },
  );

  it.each([
    ["an alias name", () => `awskms://${host}/alias/countersign`],
    ["an alias ARN", () => `awskms://${host}/arn:aws:kms:us-east-1:111122223333:alias/countersign`],
  ])("resolves %s to the key ARN, and signs with that ARN", async (_name, uri) => {
    const signer = await KmsSigner.open(uri(), fast);
    expect(signer.keyId).toBe(p256.arn);
    expect(signer.keyUri.keyId).toMatch(/alias\/countersign$/);
    const { spki } = await signer.publicKey();
    const signature = await signer.sign(message, "raw");
    expect(
      await verifySignature({ spki, algorithm: "ES256", data: message, signature, encoding: "raw" }),
    ).toBe(true);
  });

  it("finds the endpoint in AWS_ENDPOINT_URL_KMS when the URI names none (awskms:///alias/x)", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_KMS", emulator.endpoint);
    try {
      emulator.resetCalls();
      const signer = await KmsSigner.open("awskms:///alias/countersign-rsa", fast);
      expect(signer.keyId).toBe(rsa.arn);
      expect(signer.algorithm).toBe("PS384");
      await signer.sign(message, "der");
      expect(emulator.calls.Sign.succeeded).toBe(1);
      expect(emulator.requests.at(-1)).toMatchObject({
        accessKeyId: dummyCredentials.accessKeyId,
        region: "us-east-1",
      });
    } finally {
      vi.stubEnv("AWS_ENDPOINT_URL_KMS", undefined);
    }
  });

  it("takes region and credentials from clientConfig, else an ARN's region, else the SDK chain", async () => {
    vi.stubEnv("AWS_REGION", "eu-central-1");
    try {
      await KmsSigner.open(`awskms://${host}/alias/countersign`, fast);
      expect(emulator.requests.at(-1)?.region).toBe("eu-central-1");
      await KmsSigner.open(`awskms://${host}/${p256.arn}`, fast);
      expect(emulator.requests.at(-1)?.region).toBe("us-east-1");
      const credentials = { accessKeyId: "AKIDFROMCONFIG", secretAccessKey: "x" };
      await KmsSigner.open(`awskms://${host}/alias/countersign`, {
        ...fast,
        clientConfig: { region: "ap-south-1", credentials },
      });
      expect(emulator.requests.at(-1)).toMatchObject({ region: "ap-south-1", accessKeyId: "AKIDFROMCONFIG" });
    } finally {
      vi.stubEnv("AWS_REGION", "us-east-1");
    }
  });

  it("sends messages over 4096 bytes as a DIGEST, and up to 4096 as RAW", async () => {
    const signer = await KmsSigner.open(`awskms://${host}/${p256.arn}`, fast);
    const { pem } = await signer.publicKey();
    // The emulator, like KMS, refuses a RAW message over 4096 bytes and a DIGEST of the wrong length.
    for (const size of [4096, 4097, 100_000, 0]) {
      const data = new Uint8Array(size).fill(7);
      expect(opensslVerifies(pem, "ES256", data, await signer.sign(data, "der"), true)).toBe(true);
    }
    const rsaSigner = await KmsSigner.open(`awskms://${host}/${rsa.arn}`, fast);
    const large = new Uint8Array(10_000).fill(9);
    expect(
      opensslVerifies(
        (await rsaSigner.publicKey()).pem,
        "PS384",
        large,
        await rsaSigner.sign(large, "raw"),
        false,
      ),
    ).toBe(true);
  });

  it("retries throttling to success: exactly one successful Sign per signature", async () => {
    const signer = await KmsSigner.open(`awskms://${host}/${p256.arn}`, fast);
    const { spki } = await signer.publicKey();
    emulator.resetCalls();
    emulator.setThrottleEvery(2);
    try {
      const signatures = await Promise.all(Array.from({ length: 20 }, () => signer.sign(message, "raw")));
      for (const signature of signatures) {
        expect(
          await verifySignature({ spki, algorithm: "ES256", data: message, signature, encoding: "raw" }),
        ).toBe(true);
      }
    } finally {
      emulator.setThrottleEvery(undefined);
    }
    const { received, succeeded, failed } = emulator.calls.Sign;
    expect(succeeded).toBe(20);
    expect(failed).toBeGreaterThanOrEqual(10);
    expect(received).toBe(succeeded + failed);
  });

  it("retries 5xx answers and dropped connections", async () => {
    const signer = await KmsSigner.open(`awskms://${host}/${p256.arn}`, fast);
    emulator.resetCalls();
    emulator.injectFaults("Sign", ["KMSInternalException", "connection-reset", "DependencyTimeoutException"]);
    await signer.sign(message, "der");
    expect(emulator.calls.Sign).toEqual({ received: 4, succeeded: 1, failed: 3 });
  });

  it("gives up after maxAttempts with a retryable KmsError", async () => {
    const signer = await KmsSigner.open(`awskms://${host}/${p256.arn}`, {
      retry: { maxAttempts: 3, baseDelayMs: 1 },
    });
    emulator.resetCalls();
    emulator.injectFaults("Sign", ["ThrottlingException", "ThrottlingException", "ThrottlingException"]);
    const error = await signer.sign(message, "raw").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsError);
    expect(error).toMatchObject({
      operation: "Sign",
      code: "ThrottlingException",
      retryable: true,
      attempts: 3,
    });
    expect(emulator.calls.Sign.received).toBe(3);
  });

  it("reports a missing key clearly, without retrying, and without any secret", async () => {
    emulator.resetCalls();
    const error = await KmsSigner.open(`awskms://${host}/alias/missing`, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsError);
    const kmsError = error as KmsError;
    expect(kmsError).toMatchObject({
      code: "NotFoundException",
      operation: "GetPublicKey",
      retryable: false,
      attempts: 1,
    });
    expect(kmsError.message).toMatch(
      /GetPublicKey failed for alias\/missing: NotFoundException: .*alias\/missing is not found/,
    );
    expect(kmsError.message).toContain("no such key or alias in this account and region");
    expect(emulator.calls.GetPublicKey.received).toBe(1);
    const everything = `${kmsError.message}\n${kmsError.stack}\n${inspect(kmsError, { depth: 8 })}\n${JSON.stringify(kmsError)}`;
    expect(everything).not.toContain(dummyCredentials.secretAccessKey);
    expect(everything).not.toContain(dummyCredentials.sessionToken);
  });

  it("picks the SigningAlgorithm per call: PSS by default, RSASSA_PKCS1_V1_5_SHA_256 when asked", async () => {
    const signer = await KmsSigner.open(`awskms://${host}/${rsa.arn}`, fast);
    const key = createPublicKey((await signer.publicKey()).pem);
    emulator.resetCalls();
    const pss = await signer.sign(message, "der");
    const pkcs1 = await signer.sign(message, "der", { rsaPadding: "pkcs1v15" });
    const pssAgain = await signer.sign(message, "der", { rsaPadding: "pss" });
    expect(emulator.requests.map((r) => r.signingAlgorithm)).toEqual([
      "RSASSA_PSS_SHA_384",
      "RSASSA_PKCS1_V1_5_SHA_256",
      "RSASSA_PSS_SHA_384",
    ]);
    expect(verify("sha256", message, { key, padding: constants.RSA_PKCS1_PADDING }, pkcs1)).toBe(true);
    expect(opensslVerifies((await signer.publicKey()).pem, "PS384", message, pss, true)).toBe(true);
    expect(opensslVerifies((await signer.publicKey()).pem, "PS384", message, pssAgain, true)).toBe(true);
    // An EC key has no RSA padding to choose: the option leaves it on ECDSA_SHA_256.
    const ec = await KmsSigner.open(`awskms://${host}/${p256.arn}`, fast);
    emulator.resetCalls();
    await ec.sign(message, "der", { rsaPadding: "pkcs1v15" });
    expect(emulator.requests.map((r) => r.signingAlgorithm)).toEqual(["ECDSA_SHA_256"]);
  });

  it("refuses RS256 without a Sign call when the key does not offer it", async () => {
    const uri = parseKmsKeyUri(`awskms://${host}/${rsa.arn}`);
    const client = createKmsClient(uri);
    // The key as GetPublicKey would describe one restricted to PSS (real RSA keys offer both).
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === "GetPublicKeyCommand") {
          const output = result.output as { SigningAlgorithms?: string[] };
          output.SigningAlgorithms = output.SigningAlgorithms?.filter((a) => a.startsWith("RSASSA_PSS"));
        }
        return result;
      },
      { step: "initialize", name: "pssOnlyKey" },
    );
    const signer = await KmsSigner.open(uri, { ...fast, client });
    emulator.resetCalls();
    await expect(signer.sign(message, "der", { rsaPadding: "pkcs1v15" })).rejects.toThrow(
      /does not offer RSASSA_PKCS1_V1_5_SHA_256 \(it offers RSASSA_PSS_SHA_256/,
    );
    expect(emulator.calls.Sign.received).toBe(0);
    await signer.sign(message, "der");
    expect(emulator.calls.Sign.succeeded).toBe(1);
    client.destroy();
  });

  it("refuses keys that cannot sign for our formats, saying why", async () => {
    const encryption = await emulator.createKey("RSA_2048", { usage: "ENCRYPT_DECRYPT" });
    await expect(KmsSigner.open(`awskms://${host}/${encryption.arn}`, fast)).rejects.toThrow(
      /KeyUsage ENCRYPT_DECRYPT/,
    );
    const secp256k1 = await emulator.createKey("ECC_SECG_P256K1");
    await expect(KmsSigner.open(`awskms://${host}/${secp256k1.arn}`, fast)).rejects.toThrow(
      /KeySpec ECC_SECG_P256K1/,
    );
    const symmetric = await emulator.createKey("SYMMETRIC_DEFAULT", { usage: "ENCRYPT_DECRYPT" });
    await expect(KmsSigner.open(`awskms://${host}/${symmetric.arn}`, fast)).rejects.toThrow(KmsError);
    await expect(
      KmsSigner.open(`awskms://${host}/${p256.arn}`, { ...fast, algorithm: "ES384" }),
    ).rejects.toThrow(UnsupportedKeyError);
    const ps512 = await KmsSigner.open(`awskms://${host}/${rsa.arn}`, { ...fast, algorithm: "PS512" });
    expect(ps512.algorithm).toBe("PS512");
    const signature = await ps512.sign(message, "raw");
    expect(opensslVerifies((await ps512.publicKey()).pem, "PS512", message, signature, false)).toBe(true);
  });
});
