// verifySigstoreBundle's own checks around @sigstore/verify: what the statement must say, what key
// material it accepts, and why P-384 keys need their own hash passed along.

import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { beforeAll, describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../../encoding.ts";
import { LocalSigner } from "../../signing/local.ts";
import type { Signer } from "../../signing/signer.ts";
import { parsePublicKey } from "../public-key.ts";
import { publicKeyHint } from "./build.ts";
import { InTotoPayloadType, preAuthEncoding } from "./statement.ts";
import { trustedRootJson, verificationPublicKey } from "./trust-material.ts";
import { verifySigstoreBundle } from "./verify.ts";

const digest = `sha256:${"b".repeat(64)}`;
let signer: Signer;

beforeAll(async () => {
  signer = await LocalSigner.generate("ES256");
});

async function bundleWith(statement: unknown, options: { payloadType?: string; by?: Signer } = {}) {
  const by = options.by ?? signer;
  const payload = utf8(JSON.stringify(statement));
  const payloadType = options.payloadType ?? InTotoPayloadType;
  const sig = await by.sign(preAuthEncoding(payloadType, payload), "der");
  return utf8(
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: {
        publicKey: { hint: await publicKeyHint((await by.publicKey()).spki) },
        tlogEntries: [],
        timestampVerificationData: {},
      },
      dsseEnvelope: { payload: toBase64(payload), payloadType, signatures: [{ sig: toBase64(sig) }] },
    }),
  );
}

const statement = (changes: Record<string, unknown> = {}) => ({
  _type: "https://in-toto.io/Statement/v1",
  subject: [{ digest: { sha256: "b".repeat(64) } }],
  predicateType: "https://sigstore.dev/cosign/sign/v1",
  predicate: {},
  ...changes,
});

async function verify(bundle: Uint8Array, options: Partial<Parameters<typeof verifySigstoreBundle>[1]> = {}) {
  return verifySigstoreBundle(bundle, {
    publicKey: (await signer.publicKey()).pem,
    subjectDigest: digest,
    ...options,
  });
}

describe("verifySigstoreBundle", () => {
  it("accepts a statement naming the digest among several subjects", async () => {
    const subjects = [
      { name: "other", digest: { sha256: "0".repeat(64) } },
      { digest: { sha512: "1".repeat(128), sha256: "b".repeat(64) } },
    ];
    expect(await verify(await bundleWith(statement({ subject: subjects })))).toMatchObject({
      ok: true,
      predicateType: "https://sigstore.dev/cosign/sign/v1",
    });
  });

  it("rejects a statement for another digest, another predicate type, or another statement type", async () => {
    expect(
      await verify(await bundleWith(statement()), { subjectDigest: `sha256:${"c".repeat(64)}` }),
    ).toMatchObject({ ok: false, code: "subject" });
    expect(
      await verify(await bundleWith(statement({ predicateType: "https://slsa.dev/provenance/v1" }))),
    ).toMatchObject({
      ok: false,
      code: "malformed",
      reason: expect.stringMatching(/predicateType/),
    });
    expect(
      await verify(await bundleWith(statement({ _type: "https://in-toto.io/Statement/v0.1" }))),
    ).toMatchObject({ ok: false, code: "malformed" });
    expect(await verify(await bundleWith(statement(), { payloadType: "application/json" }))).toMatchObject({
      ok: false,
      code: "malformed",
      reason: expect.stringMatching(/payloadType/),
    });
  });

  it("verifies another predicate type when asked for it", async () => {
    const slsa = await bundleWith(statement({ predicateType: "https://slsa.dev/provenance/v1" }));
    expect(await verify(slsa, { predicateType: "https://slsa.dev/provenance/v1" })).toMatchObject({
      ok: true,
    });
  });

  it("rejects what is not a bundle, and a certificate-based bundle (key verification only)", async () => {
    expect(await verify(utf8("{}"))).toMatchObject({ ok: false, code: "malformed" });
    expect(await verify(utf8("not json"))).toMatchObject({ ok: false, code: "malformed" });
    const json = JSON.parse(new TextDecoder().decode(await bundleWith(statement())));
    json.verificationMaterial = {
      certificate: { rawBytes: toBase64(new Uint8Array([0x30, 0x00])) },
      tlogEntries: [],
    };
    expect(await verify(utf8(JSON.stringify(json)))).toMatchObject({
      ok: false,
      code: "key",
      reason: expect.stringMatching(/certificate/),
    });
  });

  it("reports a hint that names another key, and still lets the signature decide", async () => {
    const json = JSON.parse(new TextDecoder().decode(await bundleWith(statement())));
    json.verificationMaterial.publicKey.hint = "";
    expect(await verify(utf8(JSON.stringify(json)))).toMatchObject({
      ok: true,
      keyHint: "",
      keyHintMatches: false,
    });
  });
});

describe("P-384 and @sigstore/verify", () => {
  it("@sigstore/verify alone checks ECDSA with SHA-256 and rejects a P-384/SHA-384 signature; with the key's hash it verifies", async () => {
    const p384 = await LocalSigner.generate("ES384");
    const bytes = await bundleWith(statement(), { by: p384 });
    const key = await parsePublicKey((await p384.publicKey()).spki);
    const bundle = bundleFromJSON(JSON.parse(new TextDecoder().decode(bytes)));
    const hint = await publicKeyHint(key.spki);
    const trust = toTrustMaterial(TrustedRoot.fromJSON(await trustedRootJson({})), {
      [hint]: verificationPublicKey(key),
    });
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    // If this starts passing, sigstore-js honours the curve's hash and signature-content.ts can go.
    expect(() => verifier.verify(toSignedEntity(bundle))).toThrow(/signature verification failed/);
    expect(await verifySigstoreBundle(bytes, { publicKey: key.spki, subjectDigest: digest })).toMatchObject({
      ok: true,
    });
  });
});
