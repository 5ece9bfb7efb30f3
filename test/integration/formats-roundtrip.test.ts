// Every format × signer: build, then verify with our verifiers, and independently with node:crypto;
// then tamper with payload, signature, subject, certificate and thumbprint: each rejected, saying which.
// RSA keys sign Notary with PSS (PS256/PS384) and cosign and bundles with PKCS#1 v1.5 and SHA-256 (RS256),
// what cosign and sigstore verify an RSA key with.
import { constants, createPublicKey, verify as nodeVerify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildArtifactManifest } from "../../lib/artifacts/manifest.ts";
import { RegistryProfiles } from "../../lib/artifacts/profiles.ts";
import { buildSigstoreBundle } from "../../lib/formats/bundle/build.ts";
import { preAuthEncoding } from "../../lib/formats/bundle/statement.ts";
import { verifySigstoreBundle } from "../../lib/formats/bundle/verify.ts";
import { buildCosignSignature } from "../../lib/formats/cosign/build.ts";
import { appendCosignLayer } from "../../lib/formats/cosign/signature-manifest.ts";
import { verifyCosignSignature } from "../../lib/formats/cosign/verify.ts";
import { buildNotarySignature } from "../../lib/formats/notary/build.ts";
import { verifyNotarySignature } from "../../lib/formats/notary/verify.ts";
import type { Descriptor, ImageManifest } from "../../lib/oci/descriptor.ts";
import { createNotaryCertificate } from "../../lib/signing/certificate.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { Signer, SigningAlgorithm } from "../../lib/signing/signer.ts";
import { stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";

const subject: Descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9",
  size: 517,
};
const otherSubject: Descriptor = { ...subject, digest: `sha256:${"e".repeat(64)}` };
const dockerReference = "127.0.0.1:5000/team/app";

let emulator: KmsEmulator;
const signers: Record<string, Signer> = {};

beforeAll(async () => {
  stubAwsEnvironment();
  emulator = await startKmsEmulator();
  const host = new URL(emulator.endpoint).host;
  const kmsP256 = await emulator.createKey("ECC_NIST_P256");
  const kmsRsa2048 = await emulator.createKey("RSA_2048");
  const kmsRsa3072 = await emulator.createKey("RSA_3072");
  signers["local P-256"] = await LocalSigner.generate("ES256");
  signers["local P-384"] = await LocalSigner.generate("ES384");
  signers["local RSA-2048"] = await LocalSigner.generate("PS256");
  signers["local RSA-3072"] = await LocalSigner.generate("PS384");
  signers["KMS P-256"] = await KmsSigner.open(`awskms://${host}/${kmsP256.arn}`);
  signers["KMS RSA-2048"] = await KmsSigner.open(`awskms://${host}/${kmsRsa2048.arn}`);
  signers["KMS RSA-3072"] = await KmsSigner.open(`awskms://${host}/${kmsRsa3072.keyId}`);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator?.stop();
});

const names = [
  "local P-256",
  "local P-384",
  "local RSA-2048",
  "local RSA-3072",
  "KMS P-256",
  "KMS RSA-2048",
  "KMS RSA-3072",
] as const;

/** What cosign and bundles are signed with: the key's ECDSA algorithm, RS256 for every RSA key. */
function cosignAlgorithm(signer: Signer): SigningAlgorithm {
  return signer.algorithm.startsWith("PS") ? "RS256" : signer.algorithm;
}

/**
 * node:crypto's independent opinion: ECDSA DER, RSA-PSS (salt = hash length) or RSASSA-PKCS1-v1_5,
 * with the algorithm's hash.
 */
async function nodeCryptoVerifies(
  signer: Signer,
  algorithm: SigningAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const key = createPublicKey((await signer.publicKey()).pem);
  const hash = `sha${algorithm.slice(2)}`;
  const options = algorithm.startsWith("PS")
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : algorithm === "RS256"
      ? { key, padding: constants.RSA_PKCS1_PADDING }
      : { key, dsaEncoding: "der" as const };
  return nodeVerify(hash, data, options, signature);
}

interface JwsJson {
  payload: string;
  protected: string;
  header: { x5c: string[] };
  signature: string;
}

interface BundleJson {
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string }[] };
}

interface NotaryFixture {
  manifest: ImageManifest;
  envelope: Uint8Array;
  certificate: Uint8Array;
}

async function notaryFixture(signer: Signer): Promise<NotaryFixture> {
  const certificate = await createNotaryCertificate(signer, {
    subject: { commonName: "countersign round trip" },
  });
  const signature = await buildNotarySignature({ subject, signer, certificateChain: [certificate] });
  const built = await buildArtifactManifest({
    artifactType: signature.artifactType,
    subject,
    layers: [signature.layer],
    annotations: signature.annotations,
    created: signature.created,
    profile: RegistryProfiles.distribution,
  });
  return { manifest: built.manifest, envelope: signature.layer.bytes, certificate };
}

/** Rewrites the envelope and points the manifest's layer at it, as an attacker with push access could. */
async function withEnvelope(fixture: NotaryFixture, edit: (jws: JwsJson) => void): Promise<NotaryFixture> {
  const jws = JSON.parse(new TextDecoder().decode(fixture.envelope));
  edit(jws);
  const envelope = new TextEncoder().encode(JSON.stringify(jws));
  const digest = `sha256:${Buffer.from(await crypto.subtle.digest("SHA-256", envelope)).toString("hex")}`;
  const layer = { ...fixture.manifest.layers[0]!, digest, size: envelope.length };
  return { ...fixture, envelope, manifest: { ...fixture.manifest, layers: [layer] } };
}

function verifyNotary(
  fixture: NotaryFixture,
  options: { subject?: Descriptor; trustStore?: Uint8Array[] } = {},
) {
  return verifyNotarySignature({
    manifest: fixture.manifest,
    envelope: fixture.envelope,
    subject: options.subject ?? subject,
    trustStore: options.trustStore ?? [fixture.certificate],
  });
}

describe.each(names)("Notary JWS with %s", (name) => {
  it("verifies: jose signature, self-signed chain in the trust store, thumbprints, subject", async () => {
    const signer = signers[name]!;
    const fixture = await notaryFixture(signer);
    const verdict = await verifyNotary(fixture);
    expect(verdict).toMatchObject({
      ok: true,
      algorithm: signer.algorithm,
      signer: "CN=countersign round trip",
    });
    // The manifest as lib/artifacts writes it for notation: artifact type in config.mediaType.
    expect(fixture.manifest.config.mediaType).toBe("application/vnd.cncf.notary.signature");
    // The key's own algorithm, PSS for RSA (Notary forbids RS*), as node:crypto sees it too.
    const jws = JSON.parse(new TextDecoder().decode(fixture.envelope)) as JwsJson;
    const header = JSON.parse(Buffer.from(jws.protected, "base64url").toString());
    expect(header.alg).toBe(signer.algorithm);
    const signingInput = new TextEncoder().encode(`${jws.protected}.${jws.payload}`);
    const signature = Buffer.from(jws.signature, "base64url");
    if (signer.algorithm.startsWith("PS")) {
      expect(await nodeCryptoVerifies(signer, signer.algorithm, signingInput, signature)).toBe(true);
      expect(await nodeCryptoVerifies(signer, "RS256", signingInput, signature)).toBe(false);
    }
  });

  it("rejects a tampered payload, signature, subject, certificate and thumbprint, naming each", async () => {
    const fixture = await notaryFixture(signers[name]!);
    const tamperedPayload = await withEnvelope(fixture, (jws) => {
      const payload = JSON.parse(Buffer.from(jws.payload, "base64url").toString());
      payload.targetArtifact.size += 1;
      jws.payload = Buffer.from(JSON.stringify(payload)).toString("base64url");
    });
    expect(await verifyNotary(tamperedPayload)).toMatchObject({ ok: false, code: "signature" });
    const tamperedSignature = await withEnvelope(fixture, (jws) => {
      const signature = Buffer.from(jws.signature, "base64url");
      signature[5]! ^= 0x01;
      jws.signature = signature.toString("base64url");
    });
    expect(await verifyNotary(tamperedSignature)).toMatchObject({ ok: false, code: "signature" });
    expect(await verifyNotary(fixture, { subject: otherSubject })).toMatchObject({
      ok: false,
      code: "subject",
    });
    // A certificate altered outside its key: the JWS still verifies, the chain does not.
    const tamperedCertificate = await withEnvelope(fixture, (jws) => {
      const der = Buffer.from(jws.header.x5c[0]!, "base64");
      der[der.length - 3]! ^= 0x01;
      jws.header.x5c[0] = der.toString("base64");
    });
    const certificateVerdict = await verifyNotary(tamperedCertificate);
    expect(certificateVerdict).toMatchObject({ ok: false, code: "certificate" });
    const annotations = {
      ...fixture.manifest.annotations,
      "io.cncf.notary.x509chain.thumbprint#S256": `["${"0".repeat(64)}"]`,
    };
    const tamperedThumbprint = { ...fixture, manifest: { ...fixture.manifest, annotations } };
    expect(await verifyNotary(tamperedThumbprint)).toMatchObject({ ok: false, code: "thumbprint" });
  });

  it("rejects a valid signature whose certificate is not in the trust store", async () => {
    const fixture = await notaryFixture(signers[name]!);
    const stranger = await createNotaryCertificate(signers[name]!, {
      subject: { commonName: "another cert, same key" },
    });
    expect(await verifyNotary(fixture, { trustStore: [stranger] })).toMatchObject({
      ok: false,
      code: "untrusted",
    });
  });
});

describe.each(names)("cosign simple signing with %s", (name) => {
  it("verifies with our verifier and with node:crypto and the PEM public key", async () => {
    const signer = signers[name]!;
    const signature = await buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer });
    const publicKey = (await signer.publicKey()).pem;
    const signatureBase64 = signature.layer.annotations["dev.cosignproject.cosign/signature"];
    expect(
      await verifyCosignSignature({
        payload: signature.payload,
        signatureBase64,
        publicKey,
        subjectDigest: subject.digest,
      }),
    ).toMatchObject({ ok: true, algorithm: cosignAlgorithm(signer), dockerReference });
    const bytes = Buffer.from(signatureBase64, "base64");
    expect(await nodeCryptoVerifies(signer, cosignAlgorithm(signer), signature.payload, bytes)).toBe(true);
  });

  it("rejects a tampered payload, signature and subject, and another key", async () => {
    const signer = signers[name]!;
    const signature = await buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer });
    const publicKey = (await signer.publicKey()).pem;
    const signatureBase64 = signature.layer.annotations["dev.cosignproject.cosign/signature"];
    const base = { payload: signature.payload, signatureBase64, publicKey, subjectDigest: subject.digest };
    const payload = new TextEncoder().encode(
      new TextDecoder().decode(signature.payload).replace(subject.digest, otherSubject.digest),
    );
    expect(
      await verifyCosignSignature({ ...base, payload, subjectDigest: otherSubject.digest }),
    ).toMatchObject({
      ok: false,
      code: "signature",
    });
    const bytes = Buffer.from(signatureBase64, "base64");
    bytes[bytes.length - 4]! ^= 0x01;
    expect(await verifyCosignSignature({ ...base, signatureBase64: bytes.toString("base64") })).toMatchObject(
      {
        ok: false,
        code: "signature",
      },
    );
    expect(await verifyCosignSignature({ ...base, subjectDigest: otherSubject.digest })).toMatchObject({
      ok: false,
      code: "subject",
    });
    const stranger = (await (await LocalSigner.generate(signer.algorithm)).publicKey()).pem;
    expect(await verifyCosignSignature({ ...base, publicKey: stranger })).toMatchObject({
      ok: false,
      code: "signature",
    });
  });

  it("joins the .sig manifest once: config diff_ids are the payload digests", async () => {
    const signer = signers[name]!;
    const first = await buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer });
    const created = await appendCosignLayer(undefined, first.layer);
    const again = await buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer });
    const sameKey = { publicKey: (await signer.publicKey()).spki, payload: again.payload };
    const retried = await appendCosignLayer(created.manifest, again.layer, { sameKey });
    expect(retried.appended).toBe(false);
    expect(retried.manifest.layers).toHaveLength(1);
    const config = JSON.parse(new TextDecoder().decode(retried.config.bytes));
    expect(config.rootfs.diff_ids).toEqual([first.layer.digest]);
  });
});

describe.each(names)("Sigstore bundle with %s", (name) => {
  it("verifies through @sigstore/verify; the DSSE signature also verifies with node:crypto", async () => {
    const signer = signers[name]!;
    const bundle = await buildSigstoreBundle({ subject, signer });
    const publicKey = (await signer.publicKey()).spki;
    const verdict = await verifySigstoreBundle(bundle.layer.bytes, {
      publicKey,
      subjectDigest: subject.digest,
    });
    expect(verdict).toMatchObject({
      ok: true,
      content: "dsse-envelope",
      keyHintMatches: true,
      transparencyLogEntries: 0,
    });
    const envelope = JSON.parse(new TextDecoder().decode(bundle.layer.bytes)).dsseEnvelope;
    const pae = preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
    const sig = Buffer.from(envelope.signatures[0].sig, "base64");
    expect(await nodeCryptoVerifies(signer, cosignAlgorithm(signer), pae, sig)).toBe(true);
  });

  it("rejects a tampered statement, signature and subject, and another key", async () => {
    const signer = signers[name]!;
    const bundle = await buildSigstoreBundle({ subject, signer });
    const options = { publicKey: (await signer.publicKey()).pem, subjectDigest: subject.digest };
    const edit = (change: (json: BundleJson) => void) => {
      const json = JSON.parse(new TextDecoder().decode(bundle.layer.bytes));
      change(json);
      return new TextEncoder().encode(JSON.stringify(json));
    };
    const otherStatement = edit((json) => {
      const statement = Buffer.from(json.dsseEnvelope.payload, "base64")
        .toString()
        .replace(subject.digest.slice(7), "f".repeat(64));
      json.dsseEnvelope.payload = Buffer.from(statement).toString("base64");
    });
    expect(await verifySigstoreBundle(otherStatement, options)).toMatchObject({
      ok: false,
      code: "signature",
    });
    const otherSignature = edit((json) => {
      const sig = Buffer.from(json.dsseEnvelope.signatures[0]!.sig, "base64");
      sig[sig.length - 4]! ^= 0x01;
      json.dsseEnvelope.signatures[0]!.sig = sig.toString("base64");
    });
    expect(await verifySigstoreBundle(otherSignature, options)).toMatchObject({
      ok: false,
      code: "signature",
    });
    expect(
      await verifySigstoreBundle(bundle.layer.bytes, { ...options, subjectDigest: otherSubject.digest }),
    ).toMatchObject({ ok: false, code: "subject" });
    const stranger = (await (await LocalSigner.generate(signer.algorithm)).publicKey()).pem;
    expect(await verifySigstoreBundle(bundle.layer.bytes, { ...options, publicKey: stranger })).toMatchObject(
      {
        ok: false,
        code: "signature",
      },
    );
  });
});
