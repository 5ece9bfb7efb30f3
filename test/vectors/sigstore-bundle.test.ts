// The sigstore-conformance `managed-key-happy-path` bundle (public-good Rekor entry and TSA timestamp)
// verified through verifySigstoreBundle, i.e. @sigstore/verify: valid with its key, invalid otherwise.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildSigstoreBundle, publicKeyHint } from "../../lib/formats/bundle/build.ts";
import { verifySigstoreBundle } from "../../lib/formats/bundle/verify.ts";
import { parseTrustedRoot } from "../../lib/formats/sigstore/trusted-root.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import { pemBlocks } from "../../lib/signing/pem.ts";
import { sha256SumMismatches, vectorBytes, vectorText } from "../support/signing/vectors.ts";

const FOLDER = "sigstore-bundle-v03-key-msgsig-conformance-prod";
const bundle = vectorBytes(FOLDER, "bundle.sigstore.json");
const artifact = vectorBytes(FOLDER, "artifact-a.txt");
const publicGood = {
  transparencyLogs: pemBlocks(vectorText(FOLDER, "rekor-public-good.pub"), "PUBLIC KEY").map((publicKey) => ({
    publicKey,
    baseUrl: "https://rekor.sigstore.dev",
  })),
  timestampAuthorities: [pemBlocks(vectorText(FOLDER, "tsa-public-good-chain.pem"), "CERTIFICATE")],
};

describe(FOLDER, () => {
  it("is intact (SHA256SUMS)", () => {
    expect(sha256SumMismatches(FOLDER)).toEqual([]);
  });

  it("is valid with key.pub: signature, Rekor entry and RFC 3161 timestamp all verify", async () => {
    const verdict = await verifySigstoreBundle(bundle, {
      publicKey: vectorText(FOLDER, "key.pub"),
      artifact,
      ...publicGood,
    });
    expect(verdict).toEqual({
      ok: true,
      format: "bundle",
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      content: "message-signature",
      keyHint: "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=",
      keyHintMatches: true,
      transparencyLogEntries: 1,
      timestamps: 1,
    });
  });

  it("is invalid with NEGATIVE-wrong-key.pub", async () => {
    const verdict = await verifySigstoreBundle(bundle, {
      publicKey: vectorText(FOLDER, "NEGATIVE-wrong-key.pub"),
      artifact,
      ...publicGood,
    });
    expect(verdict).toMatchObject({ ok: false, code: "key" });
  });

  it("is invalid with a well-formed key that did not sign it", async () => {
    const other = await LocalSigner.generate("ES256");
    const verdict = await verifySigstoreBundle(bundle, {
      publicKey: (await other.publicKey()).pem,
      artifact,
      ...publicGood,
    });
    expect(verdict).toMatchObject({ ok: false, code: "signature" });
    if (!verdict.ok) expect(verdict.reason).toContain("names another key");
  });

  it("is invalid for another artifact", async () => {
    const tampered = new Uint8Array(artifact);
    tampered[0]! ^= 0x20;
    const verdict = await verifySigstoreBundle(bundle, {
      publicKey: vectorText(FOLDER, "key.pub"),
      artifact: tampered,
      ...publicGood,
    });
    expect(verdict).toMatchObject({ ok: false, code: "signature" });
  });

  it("is invalid when its Rekor entry and timestamp cannot be checked (present entries must verify)", async () => {
    const verdict = await verifySigstoreBundle(bundle, {
      publicKey: vectorText(FOLDER, "key.pub"),
      artifact,
    });
    expect(verdict).toMatchObject({ ok: false, code: "transparency" });
  });

  it("uses the hint our bundles write: base64(SHA-256(SPKI DER))", async () => {
    const [spki] = pemBlocks(vectorText(FOLDER, "key.pub"), "PUBLIC KEY");
    expect(await publicKeyHint(spki!)).toBe(
      JSON.parse(new TextDecoder().decode(bundle)).verificationMaterial.publicKey.hint,
    );
  });

  it("has the shape of what buildSigstoreBundle writes (same media type and verification material)", async () => {
    const signer = await LocalSigner.generate("ES256");
    const subject = {
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: `sha256:${"a".repeat(64)}`,
      size: 1,
    };
    const ours = JSON.parse(
      new TextDecoder().decode((await buildSigstoreBundle({ subject, signer })).layer.bytes),
    );
    const theirs = JSON.parse(new TextDecoder().decode(bundle));
    expect(ours.mediaType).toBe(theirs.mediaType);
    expect(Object.keys(ours.verificationMaterial)).toEqual(Object.keys(theirs.verificationMaterial));
    expect(Object.keys(ours.verificationMaterial.publicKey)).toEqual(["hint"]);
    expect(Object.keys(ours)).toEqual(["mediaType", "verificationMaterial", "dsseEnvelope"]);
  });
});

// The same bundle against a trusted_root.json document, taken as written: its validity windows decide.
describe(`${FOLDER} with a trusted_root.json`, () => {
  const [rekorKey] = pemBlocks(vectorText(FOLDER, "rekor-public-good.pub"), "PUBLIC KEY");
  const tsaChain = pemBlocks(vectorText(FOLDER, "tsa-public-good-chain.pem"), "CERTIFICATE");
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  const document = async (windows: { tlogEnd?: string; tsaEnd?: string } = {}) =>
    parseTrustedRoot(
      JSON.stringify({
        mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        tlogs: [
          {
            baseUrl: "https://rekor.sigstore.dev",
            hashAlgorithm: "SHA2_256",
            publicKey: {
              rawBytes: base64(rekorKey!),
              keyDetails: "PKIX_ECDSA_P256_SHA_256",
              validFor: { start: "2021-01-12T11:53:27Z", ...(windows.tlogEnd && { end: windows.tlogEnd }) },
            },
            logId: { keyId: base64(new Uint8Array(createHash("sha256").update(rekorKey!).digest())) },
          },
        ],
        certificateAuthorities: [],
        ctlogs: [],
        timestampAuthorities: [
          {
            subject: { organization: "sigstore.dev", commonName: "sigstore-tsa-selfsigned" },
            uri: "https://timestamp.sigstore.dev/api/v1/timestamp",
            certChain: { certificates: tsaChain.map((der) => ({ rawBytes: base64(der) })) },
            validFor: { start: "2025-07-04T00:00:00Z", ...(windows.tsaEnd && { end: windows.tsaEnd }) },
          },
        ],
      }),
    );

  it("is valid: the log entry and the timestamp verify against the document", async () => {
    const verdict = await verifySigstoreBundle(bundle, {
      publicKey: vectorText(FOLDER, "key.pub"),
      artifact,
      trustedRoot: await document(),
      requireSignedTimestamp: true,
    });
    expect(verdict).toMatchObject({ ok: true, transparencyLogEntries: 1, timestamps: 1 });
  });

  it("is refused when the document's windows ended before the entry or the timestamp (never widened)", async () => {
    const options = { publicKey: vectorText(FOLDER, "key.pub"), artifact };
    const lateLog = await verifySigstoreBundle(bundle, {
      ...options,
      trustedRoot: await document({ tlogEnd: "2025-01-01T00:00:00Z" }),
    });
    expect(lateLog).toMatchObject({ ok: false, code: "transparency" });
    const lateTsa = await verifySigstoreBundle(bundle, {
      ...options,
      trustedRoot: await document({ tsaEnd: "2025-08-01T00:00:00Z" }),
    });
    expect(lateTsa).toMatchObject({ ok: false, code: "timestamp" });
  });
});
