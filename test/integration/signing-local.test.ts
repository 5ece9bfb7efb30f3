import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from "node:crypto";
import { calculateJwkThumbprint } from "jose";
import { describe, expect, it } from "vitest";
import { ecdsaDerToRaw } from "../../lib/signing/ecdsa-signature.ts";
import { KeyFormatError, UnsupportedKeyError } from "../../lib/signing/errors.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import { verifySignature } from "../../lib/signing/public-key.ts";
import type { SignatureAlgorithm } from "../../lib/signing/signer.ts";

const message = new TextEncoder().encode('{"critical":{"type":"cosign container image signature"}}');

function pkcs8Pem(type: "ec" | "rsa", option: { namedCurve?: string; modulusLength?: number }): string {
  const { privateKey } =
    type === "ec"
      ? generateKeyPairSync("ec", { namedCurve: option.namedCurve ?? "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: option.modulusLength ?? 2048 });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

describe("LocalSigner round trips, verified with WebCrypto and OpenSSL", () => {
  it.each([
    ["ES256", { type: "ec", namedCurve: "P-256" }],
    ["ES384", { type: "ec", namedCurve: "P-384" }],
    ["PS384", { type: "rsa", modulusLength: 3072 }],
  ] as const)("%s from a PKCS#8 PEM signs in both encodings", async (algorithm, key) => {
    const signer = await LocalSigner.fromPem(pkcs8Pem(key.type, key));
    expect(signer.algorithm).toBe(algorithm);
    const { spki, pem, jwk } = await signer.publicKey();

    for (const encoding of ["raw", "der"] as const) {
      const signature = await signer.sign(message, encoding);
      expect(await verifySignature({ spki, algorithm, data: message, signature, encoding })).toBe(true);
      const tampered = Uint8Array.from(message, (byte, i) => (i === 0 ? byte ^ 1 : byte));
      expect(await verifySignature({ spki, algorithm, data: tampered, signature, encoding })).toBe(false);
      // An independent verifier: OpenSSL through node:crypto, with the PEM we publish.
      const hash = `sha${algorithm.slice(2)}`;
      const options =
        key.type === "rsa"
          ? {
              key: createPublicKey(pem),
              padding: 6 /* RSA_PKCS1_PSS_PADDING */,
              saltLength: Number(algorithm.slice(2)) / 8,
            }
          : {
              key: createPublicKey(pem),
              dsaEncoding: encoding === "der" ? ("der" as const) : ("ieee-p1363" as const),
            };
      expect(nodeVerify(hash, message, options, signature)).toBe(true);
    }
    expect(jwk.kid).toBe(await calculateJwkThumbprint(jwk));
    expect(signer.keyId).toBe(jwk.kid);
    expect(jwk).toMatchObject({ alg: algorithm, use: "sig" });
    expect(jwk).not.toHaveProperty("d");
  });

  it("ECDSA raw signatures are r‖s of the curve size, DER ones decode to the same size", async () => {
    const signer = await LocalSigner.generate("ES384");
    expect((await signer.sign(message, "raw")).length).toBe(96);
    expect(ecdsaDerToRaw(await signer.sign(message, "der"), 48).length).toBe(96);
  });

  it.each(["ES256", "ES512", "PS256"] as SignatureAlgorithm[])(
    "generates %s keys that survive a PKCS#8 PEM and a JWK export",
    async (algorithm) => {
      const signer = await LocalSigner.generate(algorithm);
      const fromPem = await LocalSigner.fromPem(await signer.exportPkcs8Pem());
      const fromJwk = await LocalSigner.fromJwk(await signer.exportJwk());
      for (const copy of [fromPem, fromJwk]) {
        expect(copy.keyId).toBe(signer.keyId);
        expect(copy.algorithm).toBe(algorithm);
        const signature = await copy.sign(message, "raw");
        const { spki } = await signer.publicKey();
        expect(await verifySignature({ spki, algorithm, data: message, signature, encoding: "raw" })).toBe(
          true,
        );
      }
    },
  );

  it("honours an explicit PSS hash for an RSA key, from the options or the JWK's alg", async () => {
    const pem = pkcs8Pem("rsa", { modulusLength: 2048 });
    expect((await LocalSigner.fromPem(pem)).algorithm).toBe("PS256");
    expect((await LocalSigner.fromPem(pem, { algorithm: "PS512" })).algorithm).toBe("PS512");
    const jwk = await (await LocalSigner.fromPem(pem)).exportJwk();
    expect((await LocalSigner.fromJwk({ ...jwk, alg: "PS384" })).algorithm).toBe("PS384");
  });
});

describe("LocalSigner with rsaPadding: pkcs1v15 (cosign and Sigstore bundles)", () => {
  it.each([2048, 3072])(
    "RSA-%i signs RS256 (PKCS#1 v1.5, SHA-256), keeps PSS as its default, and exports the same key",
    async (modulusLength) => {
      const signer = await LocalSigner.fromPem(pkcs8Pem("rsa", { modulusLength }));
      const { spki, pem } = await signer.publicKey();
      const key = createPublicKey(pem);
      const pkcs1 = await signer.sign(message, "der", { rsaPadding: "pkcs1v15" });
      expect(nodeVerify("sha256", message, { key, padding: 1 /* RSA_PKCS1_PADDING */ }, pkcs1)).toBe(true);
      expect(
        await verifySignature({ spki, algorithm: "RS256", data: message, signature: pkcs1, encoding: "der" }),
      ).toBe(true);
      expect(
        await verifySignature({
          spki,
          algorithm: signer.algorithm,
          data: message,
          signature: pkcs1,
          encoding: "der",
        }),
      ).toBe(false);
      // PKCS#1 v1.5 is deterministic: the lazily imported key is the same key, every time.
      expect(await signer.sign(message, "raw", { rsaPadding: "pkcs1v15" })).toEqual(pkcs1);
      const pss = await signer.sign(message, "der");
      expect(
        await verifySignature({
          spki,
          algorithm: signer.algorithm,
          data: message,
          signature: pss,
          encoding: "der",
        }),
      ).toBe(true);
      expect(nodeVerify("sha256", message, { key, padding: 1 }, pss)).toBe(false);
      const copy = await LocalSigner.fromPem(await signer.exportPkcs8Pem());
      expect(await copy.sign(message, "der", { rsaPadding: "pkcs1v15" })).toEqual(pkcs1);
    },
  );

  it("leaves EC keys alone: the option is about RSA only", async () => {
    const signer = await LocalSigner.generate("ES384");
    const { spki } = await signer.publicKey();
    const signature = await signer.sign(message, "raw", { rsaPadding: "pkcs1v15" });
    expect(
      await verifySignature({ spki, algorithm: "ES384", data: message, signature, encoding: "raw" }),
    ).toBe(true);
  });
});

describe("LocalSigner refuses keys it must not use, without quoting them", () => {
  it("refuses a curve/hash mismatch (Notary pairs P-256 with ES256 only)", async () => {
    await expect(LocalSigner.fromPem(pkcs8Pem("ec", {}), { algorithm: "ES384" })).rejects.toThrow(
      UnsupportedKeyError,
    );
  });

  it("refuses RSA-1024 and secp256k1 with the reason", async () => {
    await expect(LocalSigner.fromPem(pkcs8Pem("rsa", { modulusLength: 1024 }))).rejects.toThrow(/RSA-1024/);
    await expect(LocalSigner.fromPem(pkcs8Pem("ec", { namedCurve: "secp256k1" }))).rejects.toThrow(
      /1\.3\.132\.0\.10 is not supported/,
    );
  });

  it("refuses a public JWK and a SEC1 PEM, pointing at the conversion", async () => {
    const { jwk } = await (await LocalSigner.generate()).publicKey();
    await expect(LocalSigner.fromJwk(jwk)).rejects.toThrow(KeyFormatError);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const sec1 = privateKey.export({ type: "sec1", format: "pem" }).toString();
    await expect(LocalSigner.fromPem(sec1)).rejects.toThrow(/EC PRIVATE KEY.*openssl pkcs8/);
  });

  it("does not echo a corrupt key's bytes in the error", async () => {
    const pem = pkcs8Pem("ec", {});
    const body = pem.split("\n")[2] ?? "";
    const corrupt = pem.replace(body, body.replace(/^..../, "AAAA"));
    const error = await LocalSigner.fromPem(corrupt).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(KeyFormatError);
    expect(`${error?.message} ${String(error?.cause)}`).not.toContain(body.slice(8, 24));
  });
});
