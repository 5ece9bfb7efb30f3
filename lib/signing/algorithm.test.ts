import { describe, expect, it } from "vitest";
import {
  isSignatureAlgorithm,
  parseSignatureAlgorithm,
  rsaAlgorithm,
  signatureAlgorithms,
  signingAlgorithm,
} from "./algorithm.ts";
import { UnsupportedKeyError } from "./errors.ts";

describe("signature algorithms", () => {
  it("reads JOSE names case-insensitively", () => {
    expect(parseSignatureAlgorithm("es256")).toBe("ES256");
    expect(parseSignatureAlgorithm(" PS384 ")).toBe("PS384");
  });

  it("refuses PKCS#1 v1.5 with the Notary rule as the reason", () => {
    expect(() => parseSignatureAlgorithm("RS256")).toThrow(/Notary Project forbids/);
    expect(() => parseSignatureAlgorithm("EdDSA")).toThrow(UnsupportedKeyError);
  });

  it("signs RS256 only when an RSA key is asked for PKCS#1 v1.5; RS256 is never a key's algorithm", () => {
    expect(signatureAlgorithms.map((a) => signingAlgorithm(a, { rsaPadding: "pkcs1v15" }))).toEqual([
      "ES256",
      "ES384",
      "ES512",
      "RS256",
      "RS256",
      "RS256",
    ]);
    expect(signatureAlgorithms.map((a) => signingAlgorithm(a))).toEqual(signatureAlgorithms);
    expect(signingAlgorithm("PS384", { rsaPadding: "pss" })).toBe("PS384");
    expect(isSignatureAlgorithm("RS256")).toBe(false);
  });

  it("pairs RSA sizes with PSS hashes as the Notary specification does", () => {
    expect([2048, 3072, 4096].map(rsaAlgorithm)).toEqual(["PS256", "PS384", "PS512"]);
    expect(() => rsaAlgorithm(1024)).toThrow(/RSA-1024 is not supported/);
  });
});
