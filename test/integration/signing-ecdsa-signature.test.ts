import { generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ecdsaDerToRaw, ecdsaRawToDer } from "../../lib/signing/ecdsa-signature.ts";
import { SignatureEncodingError } from "../../lib/signing/errors.ts";

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));

describe("ecdsaRawToDer / ecdsaDerToRaw", () => {
  it("pads an integer whose high bit is set with 0x00, and strips leading zero bytes", () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x80; // r = 0x80 00..00: needs the 0x00 pad to stay positive
    raw[63] = 0x01; // s = 1: 31 leading zero bytes to strip
    const der = ecdsaRawToDer(raw);
    expect(Buffer.from(der).toString("hex")).toBe(
      `3026 0221 00 80${"00".repeat(31)} 020101`.replace(/\s/g, ""),
    );
    expect(ecdsaDerToRaw(der, 32)).toEqual(raw);
  });

  it("encodes a zero coordinate as a single 0x00 byte", () => {
    expect(ecdsaRawToDer(new Uint8Array(64))).toEqual(hex("3006 020100 020100"));
    expect(ecdsaDerToRaw(hex("3006 020100 020100"), 32)).toEqual(new Uint8Array(64));
  });

  it("uses the long length form for P-521 signatures over 127 bytes", () => {
    const raw = new Uint8Array(132).fill(0xff);
    raw[0] = 0x01;
    raw[66] = 0x01;
    const der = ecdsaRawToDer(raw);
    expect(der.subarray(0, 2)).toEqual(hex("3081"));
    expect(der[2]).toBe(der.length - 3);
    expect(ecdsaDerToRaw(der, 66)).toEqual(raw);
  });

  it.each([
    ["P-256", 32],
    ["P-384", 48],
    ["P-521", 66],
  ] as const)("agrees with OpenSSL's encodings on %s", (namedCurve, size) => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve });
    for (let i = 0; i < 40; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign(null, data, { key: privateKey, dsaEncoding: "der" });
      const raw = ecdsaDerToRaw(der, size);
      expect(raw.length).toBe(size * 2);
      expect(verify(null, data, { key: publicKey, dsaEncoding: "ieee-p1363" }, raw)).toBe(true);
      expect(Buffer.from(ecdsaRawToDer(raw)).equals(der)).toBe(true);
    }
  });

  it.each([
    ["not a SEQUENCE", "3106 020101 020101"],
    ["SEQUENCE length mismatch", "3007 020101 020101"],
    ["trailing bytes inside the SEQUENCE", "3009 020101 020101 050100"],
    ["negative r", "3006 020181 020101"],
    ["r with a superfluous leading zero", "3007 02020001 020101"],
    ["empty INTEGER", "3005 0200 020101"],
    ["non-minimal long length", "308106 020101 020101"],
    ["r longer than the curve", `3027 0222 0101${"00".repeat(32)} 020101`],
    ["truncated", "3006 0201"],
    ["only one INTEGER", "3003 020101"],
  ])("rejects %s", (_reason, der) => {
    expect(() => ecdsaDerToRaw(hex(der), 32)).toThrow(SignatureEncodingError);
  });

  it("rejects a raw signature of odd length", () => {
    expect(() => ecdsaRawToDer(new Uint8Array(63))).toThrow(SignatureEncodingError);
  });
});
