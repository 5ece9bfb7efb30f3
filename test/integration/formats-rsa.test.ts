// RSA keys across the formats, judged as each format's own verifier judges them: Notary wants PSS
// (PS256/PS384) and forbids PKCS#1 v1.5; cosign and sigstore verify an RSA public key with
// RSASSA-PKCS1-v1_5 and SHA-256 only, whatever its size (sigstore/sigstore `signature.LoadVerifier`,
// `GetDefaultPublicKeyDetails`). One KMS key serves all three, one Sign call per signature.
import { constants, createPublicKey, verify as nodeVerify } from "node:crypto";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildSigstoreBundle, publicKeyHint } from "../../lib/formats/bundle/build.ts";
import { preAuthEncoding } from "../../lib/formats/bundle/statement.ts";
import { trustedRootJson } from "../../lib/formats/bundle/trust-material.ts";
import { verifySigstoreBundle } from "../../lib/formats/bundle/verify.ts";
import { buildCosignSignature } from "../../lib/formats/cosign/build.ts";
import { verifyCosignSignature } from "../../lib/formats/cosign/verify.ts";
import { buildNotarySignature } from "../../lib/formats/notary/build.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { createNotaryCertificate } from "../../lib/signing/certificate.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";

const subject: Descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9",
  size: 517,
};
const dockerReference = "127.0.0.1:5000/team/app";

let emulator: KmsEmulator;
const signers: Record<string, Signer> = {};
const names = ["local RSA-2048", "local RSA-3072", "KMS RSA-2048", "KMS RSA-3072"] as const;

beforeAll(async () => {
  stubAwsEnvironment();
  emulator = await startKmsEmulator();
  const host = new URL(emulator.endpoint).host;
  signers["local RSA-2048"] = await LocalSigner.generate("PS256");
  signers["local RSA-3072"] = await LocalSigner.generate("PS384");
  for (const bits of [2048, 3072] as const) {
    const key = await emulator.createKey(`RSA_${bits}`);
    signers[`KMS RSA-${bits}`] = await KmsSigner.open(`awskms://${host}/${key.arn}`);
  }
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator?.stop();
});

async function nodeKey(signer: Signer) {
  return createPublicKey((await signer.publicKey()).pem);
}

/** `openssl dgst -sha256 -verify`, i.e. RSASSA-PKCS1-v1_5 with SHA-256: cosign's RSA check. */
async function verifiesAsPkcs1(signer: Signer, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const options = { key: await nodeKey(signer), padding: constants.RSA_PKCS1_PADDING };
  return nodeVerify("sha256", data, options, signature);
}

/** RSASSA-PSS with the key's own hash and salt = hash length: Notary's RSA check. */
async function verifiesAsPss(signer: Signer, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await nodeKey(signer);
  const options = {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  };
  return nodeVerify(`sha${signer.algorithm.slice(2)}`, data, options, signature);
}

function bundleJson(bytes: Uint8Array) {
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** @sigstore/verify on its own, with the key exactly as cosign publishes it: no re-wrapping, no hooks. */
async function sigstoreVerifies(signer: Signer, bytes: Uint8Array): Promise<void> {
  const { spki } = await signer.publicKey();
  const keys = { [await publicKeyHint(spki)]: { rawBytes: Buffer.from(spki), keyDetails: 9 } };
  const trust = toTrustMaterial(TrustedRoot.fromJSON(await trustedRootJson({})), keys);
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundleFromJSON(bundleJson(bytes))));
}

/** The same bundle with its DSSE signature replaced by a PSS one (what Countersign wrote before RS256). */
async function withPssSignature(signer: Signer, bytes: Uint8Array): Promise<Uint8Array> {
  const json = bundleJson(bytes);
  const envelope = json.dsseEnvelope;
  const pae = preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
  envelope.signatures[0].sig = Buffer.from(await signer.sign(pae, "der")).toString("base64");
  return new TextEncoder().encode(JSON.stringify(json));
}

describe.each(names)("%s", (name) => {
  it("signs cosign with RSASSA-PKCS1-v1_5 and SHA-256, which node:crypto verifies and PSS does not", async () => {
    const signer = signers[name]!;
    const built = await buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer });
    const signatureBase64 = built.layer.annotations["dev.cosignproject.cosign/signature"];
    const signature = Buffer.from(signatureBase64, "base64");
    expect(await verifiesAsPkcs1(signer, built.payload, signature)).toBe(true);
    expect(await verifiesAsPss(signer, built.payload, signature)).toBe(false);
    const verdict = await verifyCosignSignature({
      payload: built.payload,
      signatureBase64,
      publicKey: (await signer.publicKey()).pem,
      subjectDigest: subject.digest,
    });
    expect(verdict).toMatchObject({ ok: true, algorithm: "RS256" });
  });

  it("refuses a PSS cosign signature as cosign does, saying it is PSS", async () => {
    const signer = signers[name]!;
    const built = await buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer });
    const pss = await signer.sign(built.payload, "der");
    expect(await verifiesAsPss(signer, built.payload, pss)).toBe(true);
    const options = {
      payload: built.payload,
      signatureBase64: Buffer.from(pss).toString("base64"),
      publicKey: (await signer.publicKey()).pem,
      subjectDigest: subject.digest,
    };
    expect(await verifyCosignSignature(options)).toEqual({
      ok: false,
      format: "cosign",
      code: "unsupported",
      reason: expect.stringMatching(
        new RegExp(
          `RSASSA-PSS \\(${signer.algorithm}\\); cosign verifies RSA keys only with RSASSA-PKCS1-v1_5`,
        ),
      ),
    });
    // A pinned RS256 gives the same answer: there is no way to make cosign's verifier take PSS.
    expect(await verifyCosignSignature({ ...options, algorithm: "RS256" })).toMatchObject({
      ok: false,
      code: "unsupported",
    });
  });

  it("signs bundles with PKCS#1 v1.5, which @sigstore/verify accepts with the plain key", async () => {
    const signer = signers[name]!;
    const bundle = await buildSigstoreBundle({ subject, signer });
    await sigstoreVerifies(signer, bundle.layer.bytes);
    const { spki, pem } = await signer.publicKey();
    expect(
      await verifySigstoreBundle(bundle.layer.bytes, { publicKey: spki, subjectDigest: subject.digest }),
    ).toMatchObject({
      ok: true,
      keyHintMatches: true,
    });
    const envelope = bundleJson(bundle.layer.bytes).dsseEnvelope;
    const pae = preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
    const sig = Buffer.from(envelope.signatures[0].sig, "base64");
    expect(await verifiesAsPkcs1(signer, pae, sig)).toBe(true);
    // An RSA key is checked with RS256 only: asking for ECDSA is a key mismatch, not a verdict on the bytes.
    expect(
      await verifySigstoreBundle(bundle.layer.bytes, {
        publicKey: pem,
        subjectDigest: subject.digest,
        algorithm: "ES256",
      }),
    ).toMatchObject({ ok: false, code: "key" });
  });

  it("refuses a PSS bundle as @sigstore/verify does, saying it is PSS", async () => {
    const signer = signers[name]!;
    const bundle = await withPssSignature(
      signer,
      (await buildSigstoreBundle({ subject, signer })).layer.bytes,
    );
    await expect(sigstoreVerifies(signer, bundle)).rejects.toThrow(/signature verification failed/);
    const verdict = await verifySigstoreBundle(bundle, {
      publicKey: (await signer.publicKey()).pem,
      subjectDigest: subject.digest,
    });
    expect(verdict).toMatchObject({
      ok: false,
      code: "unsupported",
      reason: expect.stringMatching(/RSASSA-PSS.*sigstore verifies RSA keys only with RSASSA-PKCS1-v1_5/),
    });
  });
});

describe.each(["KMS RSA-2048", "KMS RSA-3072"] as const)("%s against the KMS emulator", (name) => {
  it("makes one Sign call per signature: PSS for Notary, RSASSA_PKCS1_V1_5_SHA_256 for cosign and bundles", async () => {
    const signer = signers[name]!;
    const certificate = await createNotaryCertificate(signer, { subject: { commonName: "rsa" } });
    emulator.resetCalls();
    await buildNotarySignature({ subject, signer, certificateChain: [certificate] });
    await buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer });
    await buildSigstoreBundle({ subject, signer });
    const pss = `RSASSA_PSS_SHA_${signer.algorithm.slice(2)}`;
    expect(emulator.calls.Sign).toEqual({ received: 3, succeeded: 3, failed: 0 });
    expect(emulator.requests.map((r) => [r.operation, r.signingAlgorithm, r.messageType])).toEqual([
      ["Sign", pss, "RAW"],
      ["Sign", "RSASSA_PKCS1_V1_5_SHA_256", "RAW"],
      ["Sign", "RSASSA_PKCS1_V1_5_SHA_256", "RAW"],
    ]);
  });

  it("hashes a message over 4096 bytes with SHA-256 for RS256, whatever the key's PSS hash", async () => {
    const signer = signers[name]!;
    const large = new Uint8Array(10_000).fill(5);
    emulator.resetCalls();
    const signature = await signer.sign(large, "der", { rsaPadding: "pkcs1v15" });
    expect(emulator.requests.map((r) => [r.signingAlgorithm, r.messageType])).toEqual([
      ["RSASSA_PKCS1_V1_5_SHA_256", "DIGEST"],
    ]);
    expect(await verifiesAsPkcs1(signer, large, signature)).toBe(true);
  });
});
