import { describe, expect, it } from "vitest";
import { UnsupportedKeyError } from "./errors.ts";
import { kmsSigningAlgorithm, selectKmsAlgorithm } from "./kms-key-spec.ts";

const arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const rsaAlgorithms = ["256", "384", "512"].flatMap((b) => [
  `RSASSA_PSS_SHA_${b}`,
  `RSASSA_PKCS1_V1_5_SHA_${b}`,
]);
const key = (keySpec: string, signingAlgorithms: string[], keyUsage = "SIGN_VERIFY") => ({
  arn,
  keySpec,
  keyUsage,
  signingAlgorithms,
});

describe("selectKmsAlgorithm", () => {
  it.each([
    ["ECC_NIST_P256", ["ECDSA_SHA_256"], "ES256"],
    ["ECC_NIST_P384", ["ECDSA_SHA_384"], "ES384"],
    ["ECC_NIST_P521", ["ECDSA_SHA_512"], "ES512"],
    ["RSA_2048", rsaAlgorithms, "PS256"],
    ["RSA_3072", rsaAlgorithms, "PS384"],
    ["RSA_4096", rsaAlgorithms, "PS512"],
  ])("%s signs as %s", (spec, algorithms, expected) => {
    expect(selectKmsAlgorithm(key(spec, algorithms))).toBe(expected);
  });

  it("names RS256 as KMS does, an algorithm every RSA key spec offers", () => {
    expect(kmsSigningAlgorithm("RS256")).toBe("RSASSA_PKCS1_V1_5_SHA_256");
    expect(rsaAlgorithms).toContain(kmsSigningAlgorithm("RS256"));
    expect(kmsSigningAlgorithm("PS384")).toBe("RSASSA_PSS_SHA_384");
  });

  it("lets an RSA key sign with another PSS hash, but not an EC key with another curve's", () => {
    expect(selectKmsAlgorithm(key("RSA_2048", rsaAlgorithms), "PS512")).toBe("PS512");
    expect(() => selectKmsAlgorithm(key("ECC_NIST_P256", ["ECDSA_SHA_256"]), "ES384")).toThrow(
      UnsupportedKeyError,
    );
  });

  it.each([
    ["an encryption key", key("RSA_2048", [], "ENCRYPT_DECRYPT"), /KeyUsage ENCRYPT_DECRYPT/],
    ["secp256k1", key("ECC_SECG_P256K1", ["ECDSA_SHA_256"]), /KeySpec ECC_SECG_P256K1/],
    ["an HMAC key", key("HMAC_256", [], "GENERATE_VERIFY_MAC"), /KeyUsage GENERATE_VERIFY_MAC/],
    [
      "a PKCS#1-only RSA key",
      key("RSA_2048", ["RSASSA_PKCS1_V1_5_SHA_256"]),
      /only RSASSA_PKCS1_V1_5.*Notary forbids/,
    ],
  ])("refuses %s, saying why", (_name, description, reason) => {
    expect(() => selectKmsAlgorithm(description)).toThrow(reason);
  });
});
