import { describe, expect, it } from "vitest";
import { parseSignatureAlgorithm, rsaAlgorithm } from "./algorithm.ts";
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

  it("pairs RSA sizes with PSS hashes as the Notary specification does", () => {
    expect([2048, 3072, 4096].map(rsaAlgorithm)).toEqual(["PS256", "PS384", "PS512"]);
    expect(() => rsaAlgorithm(1024)).toThrow(/RSA-1024 is not supported/);
  });
});
