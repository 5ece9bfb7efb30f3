// The emulator against the real @aws-sdk/client-kms: if the SDK accepts its answers, the signer's
// tests exercise the same code paths real KMS would.
import { createPublicKey, verify } from "node:crypto";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  ListAliasesCommand,
  SignCommand,
  VerifyCommand,
} from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { emulatorClient, stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";

let emulator: KmsEmulator;
let kms: KMSClient;

beforeAll(async () => {
  stubAwsEnvironment();
  emulator = await startKmsEmulator();
  kms = emulatorClient(emulator);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  kms?.destroy();
  await emulator?.stop();
});

const message = new TextEncoder().encode("payload");

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("KMS emulator, driven by the AWS SDK", () => {
  it("creates keys and aliases, resolves every identifier form, and lists aliases", async () => {
    const created = await kms.send(
      new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }),
    );
    const meta = created.KeyMetadata!;
    expect(meta).toMatchObject({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", KeyState: "Enabled" });
    expect(meta.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${meta.KeyId}`);
    expect(meta.CreationDate).toBeInstanceOf(Date);

    await kms.send(new CreateAliasCommand({ AliasName: "alias/emulator-test", TargetKeyId: meta.KeyId }));
    for (const id of [
      meta.KeyId,
      meta.Arn,
      "alias/emulator-test",
      "arn:aws:kms:us-east-1:111122223333:alias/emulator-test",
    ]) {
      const described = await kms.send(new DescribeKeyCommand({ KeyId: id }));
      expect(described.KeyMetadata?.Arn).toBe(meta.Arn);
    }
    const listed = await kms.send(new ListAliasesCommand({ KeyId: meta.KeyId }));
    expect(listed.Aliases?.map((a) => [a.AliasName, a.TargetKeyId])).toEqual([
      ["alias/emulator-test", meta.KeyId],
    ]);
  });

  it.each([
    ["ECC_NIST_P256", "ECDSA_SHA_256", "sha256", {}],
    ["RSA_2048", "RSASSA_PSS_SHA_256", "sha256", { padding: 6, saltLength: 32 }],
    ["RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", "sha512", { padding: 1 }],
    ["RSA_3072", "RSASSA_PKCS1_V1_5_SHA_256", "sha256", { padding: 1 }],
  ] as const)(
    "%s signs RAW and DIGEST messages with %s that OpenSSL verifies",
    async (spec, algorithm, hash, padding) => {
      const { arn } = await emulator.createKey(spec);
      const pub = await kms.send(new GetPublicKeyCommand({ KeyId: arn }));
      expect(pub).toMatchObject({ KeyId: arn, KeySpec: spec, KeyUsage: "SIGN_VERIFY" });
      const key = createPublicKey({ key: Buffer.from(pub.PublicKey!), format: "der", type: "spki" });
      const digest = new Uint8Array(await crypto.subtle.digest(hash.replace("sha", "SHA-"), message));

      for (const [Message, MessageType] of [
        [message, "RAW"],
        [digest, "DIGEST"],
      ] as const) {
        const signed = await kms.send(
          new SignCommand({ KeyId: arn, Message, MessageType, SigningAlgorithm: algorithm }),
        );
        expect(signed.SigningAlgorithm).toBe(algorithm);
        expect(emulator.requests.at(-1)).toMatchObject({
          operation: "Sign",
          signingAlgorithm: algorithm,
          messageType: MessageType,
        });
        expect(verify(hash, message, { key, ...padding }, signed.Signature!)).toBe(true);
        const verified = await kms.send(
          new VerifyCommand({
            KeyId: arn,
            Message,
            MessageType,
            Signature: signed.Signature,
            SigningAlgorithm: algorithm,
          }),
        );
        expect(verified.SignatureValid).toBe(true);
        const forged = Uint8Array.from(signed.Signature!, (b, i) => (i === 10 ? b ^ 1 : b));
        const error = await rejection(
          kms.send(
            new VerifyCommand({
              KeyId: arn,
              Message,
              MessageType,
              Signature: forged,
              SigningAlgorithm: algorithm,
            }),
          ),
        );
        expect(error.name).toBe("KMSInvalidSignatureException");
      }
    },
  );

  it("answers with AWS's error names and statuses", async () => {
    const { arn } = await emulator.createKey("ECC_NIST_P256");
    const missing = await rejection(kms.send(new DescribeKeyCommand({ KeyId: "alias/does-not-exist" })));
    expect(missing.name).toBe("NotFoundException");
    expect(missing.message).toContain("alias/does-not-exist");
    expect(missing.$metadata?.httpStatusCode).toBe(400);

    const wrongAlgorithm = await rejection(
      kms.send(new SignCommand({ KeyId: arn, Message: message, SigningAlgorithm: "ECDSA_SHA_384" })),
    );
    expect(wrongAlgorithm.name).toBe("InvalidKeyUsageException");

    const tooLong = await rejection(
      kms.send(
        new SignCommand({ KeyId: arn, Message: new Uint8Array(4097), SigningAlgorithm: "ECDSA_SHA_256" }),
      ),
    );
    expect(tooLong.name).toBe("ValidationException");

    const { arn: encryptionKey } = await emulator.createKey("RSA_2048", { usage: "ENCRYPT_DECRYPT" });
    const wrongUsage = await rejection(
      kms.send(
        new SignCommand({ KeyId: encryptionKey, Message: message, SigningAlgorithm: "RSASSA_PSS_SHA_256" }),
      ),
    );
    expect(wrongUsage.name).toBe("InvalidKeyUsageException");
  });

  it("throttles on schedule, injects faults, and counts calls per operation", async () => {
    const { arn } = await emulator.createKey("ECC_NIST_P256");
    emulator.resetCalls();
    emulator.setThrottleEvery(3);
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const sent = kms.send(
        new SignCommand({ KeyId: arn, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }),
      );
      outcomes.push(
        await sent.then(
          () => "ok",
          (e: Error) => e.name,
        ),
      );
    }
    emulator.setThrottleEvery(undefined);
    expect(outcomes).toEqual(["ok", "ok", "ThrottlingException", "ok", "ok", "ThrottlingException"]);
    expect(emulator.calls.Sign).toEqual({ received: 6, succeeded: 4, failed: 2 });

    emulator.injectFaults("Sign", ["KMSInternalException", "DependencyTimeoutException"]);
    const internal = await rejection(
      kms.send(new SignCommand({ KeyId: arn, Message: message, SigningAlgorithm: "ECDSA_SHA_256" })),
    );
    expect([internal.name, internal.$metadata?.httpStatusCode]).toEqual(["KMSInternalException", 500]);
    const timeout = await rejection(
      kms.send(new SignCommand({ KeyId: arn, Message: message, SigningAlgorithm: "ECDSA_SHA_256" })),
    );
    expect([timeout.name, timeout.$metadata?.httpStatusCode]).toEqual(["DependencyTimeoutException", 503]);
    expect(emulator.calls.GetPublicKey).toEqual({ received: 0, succeeded: 0, failed: 0 });
  });

  it("requires a SigV4 Authorization header and records its credential scope", async () => {
    const response = await fetch(emulator.endpoint, {
      method: "POST",
      headers: { "X-Amz-Target": "TrentService.ListAliases", "Content-Type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ __type: "MissingAuthenticationTokenException" });
    await kms.send(new ListAliasesCommand({}));
    expect(emulator.requests.at(-1)).toMatchObject({
      operation: "ListAliases",
      region: "us-east-1",
      accessKeyId: "AKIDCOUNTERSIGNTEST",
      status: 200,
    });
  });
});
