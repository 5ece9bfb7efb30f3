import { beforeAll, describe, expect, it } from "vitest";
import { digestOf } from "../../oci/digest.ts";
import { LocalSigner } from "../../signing/local.ts";
import { SignatureBuildError } from "../errors.ts";
import { buildCosignSignature, type CosignSignature } from "./build.ts";
import { appendCosignLayer, cosignSignatureTag } from "./signature-manifest.ts";

const subjectDigest = `sha256:${"a".repeat(64)}`;
let signer: LocalSigner;
let other: LocalSigner;
let first: CosignSignature;

beforeAll(async () => {
  [signer, other] = await Promise.all([LocalSigner.generate("ES256"), LocalSigner.generate("ES256")]);
  first = await buildCosignSignature({ dockerReference: "registry.example/team/app", subjectDigest, signer });
});

describe("appendCosignLayer", () => {
  it("starts a .sig manifest: OCI manifest, image config whose diff_ids are the layer digests", async () => {
    const result = await appendCosignLayer(undefined, first.layer);
    expect(result.appended).toBe(true);
    expect(result.manifest).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        size: result.config.bytes.length,
        digest: await digestOf(result.config.bytes),
      },
      layers: [first.layer],
    });
    expect(JSON.parse(new TextDecoder().decode(result.config.bytes))).toEqual({
      architecture: "",
      created: "0001-01-01T00:00:00Z",
      history: [{ created: "0001-01-01T00:00:00Z" }],
      os: "",
      rootfs: { type: "layers", diff_ids: [first.layer.digest] },
      config: {},
    });
    expect(JSON.parse(new TextDecoder().decode(result.bytes))).toEqual(result.manifest);
    // Descriptor members in go-containerregistry's order, as cosign writes them.
    expect(Object.keys(result.manifest.layers[0]!)).toEqual(["mediaType", "size", "digest", "annotations"]);
  });

  it("never adds the same layer twice", async () => {
    const once = await appendCosignLayer(undefined, first.layer);
    const twice = await appendCosignLayer(once.manifest, first.layer);
    expect(twice.appended).toBe(false);
    expect(twice.bytes).toEqual(once.bytes);
  });

  it("adds another key's signature over the same payload, and keeps what was there", async () => {
    const second = await buildCosignSignature({
      dockerReference: "registry.example/team/app",
      subjectDigest,
      signer: other,
    });
    const once = await appendCosignLayer(undefined, first.layer);
    const both = await appendCosignLayer(once.manifest, second.layer, {
      sameKey: { publicKey: (await other.publicKey()).pem, payload: second.payload },
    });
    expect(both.appended).toBe(true);
    expect(both.manifest.layers.map((l) => l.annotations)).toEqual([
      first.layer.annotations,
      second.layer.annotations,
    ]);
    const config = JSON.parse(new TextDecoder().decode(both.config.bytes));
    expect(config.rootfs.diff_ids).toEqual([first.layer.digest, second.layer.digest]);
    expect(config.history).toHaveLength(2);
  });

  it("with sameKey, recognises a fresh signature by a key that already signed (a retried job)", async () => {
    const retry = await buildCosignSignature({
      dockerReference: "registry.example/team/app",
      subjectDigest,
      signer,
    });
    expect(retry.layer.annotations).not.toEqual(first.layer.annotations); // ECDSA: a new signature each time
    const once = await appendCosignLayer(undefined, first.layer);
    const withoutCheck = await appendCosignLayer(once.manifest, retry.layer);
    expect(withoutCheck.appended).toBe(true);
    const sameKey = { publicKey: (await signer.publicKey()).spki, payload: retry.payload };
    const withCheck = await appendCosignLayer(once.manifest, retry.layer, { sameKey });
    expect(withCheck.appended).toBe(false);
    await expect(
      appendCosignLayer(once.manifest, retry.layer, {
        sameKey: { ...sameKey, payload: new Uint8Array([1]) },
      }),
    ).rejects.toThrow(SignatureBuildError);
  });
});

describe("cosignSignatureTag", () => {
  it("is sha256-<hex>.sig", () => {
    expect(cosignSignatureTag(subjectDigest)).toBe(`sha256-${"a".repeat(64)}.sig`);
  });
});

describe("buildCosignSignature", () => {
  it("refuses a reference with a tag or digest, and a subject that is not a digest", async () => {
    await expect(
      buildCosignSignature({ dockerReference: "registry.example/app:latest", subjectDigest, signer }),
    ).rejects.toThrow(SignatureBuildError);
    await expect(
      buildCosignSignature({ dockerReference: "registry.example/app", subjectDigest: "latest", signer }),
    ).rejects.toThrow(/not sha256/);
  });
});
