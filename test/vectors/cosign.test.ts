// The cosign simple-signing vectors (containers/image fixtures of real `cosign sign --key` output)
// judged by verifyCosignSignature as each PROVENANCE.md states; our payload is cosign's, byte for byte.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { simpleSigningPayload } from "../../lib/formats/cosign/payload.ts";
import { verifyCosignSignature } from "../../lib/formats/cosign/verify.ts";
import { sha256SumMismatches, vectorBytes, vectorText } from "../support/signing/vectors.ts";

const VALID = "cosign-simplesigning-key-cimage-valid";
const SECOND = "cosign-simplesigning-key-cimage-valid-second-sig";
const UNKNOWN_KEY = "cosign-simplesigning-key-cimage-unknown-key-NEGATIVE";
const SUBJECT = `sha256:${createHash("sha256").update(vectorBytes(VALID, "manifest.json")).digest("hex")}`;
const REFERENCE = "192.168.64.2:5000/cosign-signed-single-sample";

/** containers/image's on-disk form of one signature layer: "\0sigstore-json\n" + JSON. */
function unwrap(bytes: Uint8Array): { payload: Uint8Array; signature: string; mimeType: string } {
  const prefix = "\0sigstore-json\n";
  const text = Buffer.from(bytes).toString("utf8");
  expect(text.startsWith(prefix)).toBe(true);
  const json = JSON.parse(text.slice(prefix.length));
  return {
    payload: new Uint8Array(Buffer.from(json.payload, "base64")),
    signature: json.annotations["dev.cosignproject.cosign/signature"],
    mimeType: json.mimeType,
  };
}

function verify(
  folder: string,
  key: string,
  overrides: Partial<Parameters<typeof verifyCosignSignature>[0]> = {},
) {
  return verifyCosignSignature({
    payload: vectorBytes(folder, "payload.json"),
    signatureBase64: vectorText(folder, "signature.b64").trim(),
    publicKey: vectorText(folder, key),
    subjectDigest: SUBJECT,
    ...overrides,
  });
}

describe.each([VALID, SECOND, UNKNOWN_KEY])("%s", (folder) => {
  it("is intact (SHA256SUMS)", () => {
    expect(sha256SumMismatches(folder)).toEqual([]);
  });
});

describe.each([
  [VALID, "signature-1"],
  [SECOND, "signature-2"],
  [UNKNOWN_KEY, "unknown-cosign-key.signature"],
])("%s derived files", (folder, wrapper) => {
  it(`are the payload and signature inside ${wrapper}`, () => {
    const layer = unwrap(vectorBytes(folder, wrapper));
    expect(layer.mimeType).toBe("application/vnd.dev.cosign.simplesigning.v1+json");
    expect(layer.payload).toEqual(vectorBytes(folder, "payload.json"));
    expect(layer.signature).toBe(vectorText(folder, "signature.b64").trim());
  });
});

describe(VALID, () => {
  it("is valid with cosign.pub, for the manifest it names", async () => {
    expect(await verify(VALID, "cosign.pub", { dockerReference: REFERENCE })).toEqual({
      ok: true,
      format: "cosign",
      algorithm: "ES256",
      dockerReference: REFERENCE,
      subjectDigest: SUBJECT,
    });
  });

  it("is rejected for another image digest", async () => {
    const verdict = await verify(VALID, "cosign.pub", { subjectDigest: `sha256:${"1".repeat(64)}` });
    expect(verdict).toMatchObject({ ok: false, code: "subject" });
  });

  it("is rejected for another docker-reference", async () => {
    const verdict = await verify(VALID, "cosign.pub", { dockerReference: "registry.example/other" });
    expect(verdict).toMatchObject({ ok: false, code: "subject" });
  });

  it("is rejected when one payload byte changes", async () => {
    const payload = vectorBytes(VALID, "payload.json");
    payload[payload.length - 2]! ^= 0x01;
    expect(await verify(VALID, "cosign.pub", { payload })).toMatchObject({ ok: false, code: "signature" });
  });

  it("is rejected under a pinned algorithm it was not made with", async () => {
    expect(await verify(VALID, "cosign.pub", { algorithm: "ES384" })).toMatchObject({
      ok: false,
      code: "signature",
    });
  });

  it("has the payload simpleSigningPayload writes, byte for byte", () => {
    expect(simpleSigningPayload(REFERENCE, SUBJECT)).toEqual(vectorBytes(VALID, "payload.json"));
  });
});

describe(SECOND, () => {
  it("is valid with cosign.pub: a second, different ECDSA signature over the same payload", async () => {
    expect(vectorText(SECOND, "signature.b64")).not.toBe(vectorText(VALID, "signature.b64"));
    expect(await verify(SECOND, "cosign.pub")).toMatchObject({ ok: true, subjectDigest: SUBJECT });
  });
});

describe(UNKNOWN_KEY, () => {
  it.each(["cosign.pub", "cosign2.pub"])(
    "is invalid with %s (signed by a key nobody was given)",
    async (key) => {
      const verdict = await verify(UNKNOWN_KEY, key);
      expect(verdict).toMatchObject({ ok: false, code: "signature" });
    },
  );
});
