import { describe, expect, it } from "vitest";
import { LocalSigner } from "../signing/local.ts";
import { notaryAlgorithmFor, PublicKeyError, parsePublicKey } from "./public-key.ts";

describe("parsePublicKey", () => {
  it.each([
    ["ES256", { type: "ec", curve: "P-256" }],
    ["ES384", { type: "ec", curve: "P-384" }],
    ["ES512", { type: "ec", curve: "P-521" }],
    ["PS384", { type: "rsa", modulusBits: 3072 }],
  ] as const)(
    "reads a %s key from DER, PEM text, PEM bytes and a CryptoKey alike",
    async (algorithm, shape) => {
      const info = await (await LocalSigner.generate(algorithm)).publicKey();
      const cryptoKey = await crypto.subtle.importKey(
        "spki",
        new Uint8Array(info.spki),
        algorithm.startsWith("ES")
          ? { name: "ECDSA", namedCurve: (shape as { curve: string }).curve }
          : { name: "RSA-PSS", hash: "SHA-384" },
        true,
        ["verify"],
      );
      for (const input of [info.spki, info.pem, new TextEncoder().encode(info.pem), cryptoKey]) {
        const key = await parsePublicKey(input);
        expect(key).toMatchObject(shape);
        expect(key.spki).toEqual(new Uint8Array(info.spki));
        expect(notaryAlgorithmFor(key)).toBe(algorithm);
      }
    },
  );

  it("refuses garbage, several PEM blocks, and a well-formed key off the curve", async () => {
    await expect(parsePublicKey(new Uint8Array([1, 2, 3]))).rejects.toThrow(PublicKeyError);
    const { pem } = await (await LocalSigner.generate("ES256")).publicKey();
    await expect(parsePublicKey(pem + pem)).rejects.toThrow(/found 2/);
    const { spki } = await (await LocalSigner.generate("ES256")).publicKey();
    const offCurve = new Uint8Array(spki);
    offCurve[offCurve.length - 1]! ^= 0x01; // y no longer matches x
    await expect(parsePublicKey(offCurve)).rejects.toThrow(/does not import/);
  });
});
