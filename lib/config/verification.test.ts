// The timestamp and verification sections: files read through the resolver or given inline, mistakes
// named by field, and the material /v1/verify is handed.
import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../test/support/signing/test-pki.ts";
import { LocalSigner } from "../signing/local.ts";
import { ConfigError, parseConfig } from "./load.ts";
import type { SecretResolver } from "./secret.ts";
import { timestamperFrom, verificationMaterial } from "./verification.ts";

let certificatePem: string;
let publicKeyPem: string;
let certificateDer: Uint8Array;

function pem(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64")}\n-----END CERTIFICATE-----\n`;
}

beforeAll(async () => {
  const signer = await LocalSigner.generate("ES256");
  certificateDer = await issueCertificate({ commonName: "configured", subjectKey: signer });
  certificatePem = pem(certificateDer);
  publicKeyPem = (await signer.publicKey()).pem;
});

const files = (entries: Record<string, string>): SecretResolver => ({
  env: () => undefined,
  readFile: async (path) => {
    if (path in entries) return entries[path]!;
    throw Object.assign(new Error("missing"), { code: "ENOENT" });
  },
});

const policy = {
  version: "1.0",
  trustPolicies: [
    {
      name: "acme",
      registryScopes: ["*"],
      signatureVerification: { level: "strict" },
      trustStores: ["ca:acme", "tsa:tsa"],
      trustedIdentities: ["*"],
    },
  ],
};

describe("the verification section", () => {
  it("reads PEM and JSON files through the resolver, or takes them inline, into verification material", async () => {
    const config = await parseConfig(
      {
        timestamp: { url: "http://127.0.0.1:9/tsr", rootCertificate: "tsa.pem" },
        verification: {
          publicKeys: [publicKeyPem],
          trustStore: ["partner.pem"],
          trustPolicy: "trustpolicy.json",
          trustStores: { "ca:acme": [certificatePem], "tsa:tsa": ["tsa.pem"] },
          trustedRoot: { mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" },
          requireSignedTimestamp: true,
        },
      },
      files({
        "tsa.pem": certificatePem,
        "partner.pem": certificatePem,
        "trustpolicy.json": JSON.stringify(policy),
      }),
    );
    const own = new Uint8Array([1, 2, 3]);
    const material = verificationMaterial(config.verification, { publicKey: own, trustAnchor: own });
    expect(material.publicKeys).toHaveLength(2);
    expect(material.trustStore).toEqual([own, certificateDer]);
    expect(material.notation?.policy.trustPolicies[0]?.name).toBe("acme");
    expect(material.notation?.stores["tsa:tsa"]).toEqual([certificateDer]);
    expect(material.trustedRoot?.timestampAuthorities).toEqual([]);
    expect(material.requireSignedTimestamp).toBe(true);
    expect(timestamperFrom(config.timestamp)?.url).toBe("http://127.0.0.1:9/tsr");
  });

  it("defaults to our own key and certificate only, and no timestamps", async () => {
    const config = await parseConfig({}, files({}));
    expect(config.timestamp).toBeUndefined();
    const material = verificationMaterial(config.verification, { publicKey: new Uint8Array([1]) });
    expect(material).toEqual({ publicKeys: [new Uint8Array([1])], trustStore: [] });
  });

  it.each([
    [
      "a missing file",
      { verification: { trustStore: ["absent.pem"] } },
      /verification\.trustStore\[0\]: cannot read "absent.pem" \(ENOENT\)/,
    ],
    [
      "a file without a certificate",
      { verification: { tsaTrustStore: ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"] } },
      /no PEM CERTIFICATE/,
    ],
    [
      "an invalid trust policy",
      {
        verification: {
          trustPolicy: { ...policy, trustPolicies: [{ ...policy.trustPolicies[0], trustStores: ["acme"] }] },
        },
      },
      /verification\.trustPolicy: .*malformed trust store "acme"/,
    ],
    [
      "a store name notation refuses",
      {
        verification: {
          trustStores: { "other:x": ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] },
        },
      },
      /<ca\|signingAuthority\|tsa>:<name>/,
    ],
    [
      "a trusted root of another media type",
      { verification: { trustedRoot: { mediaType: "x" } } },
      /mediaType must be/,
    ],
    [
      "a timestamp URL without a root",
      { timestamp: { url: "http://tsa.example/" } },
      /timestamp\.rootCertificate/,
    ],
  ])("names %s by field", async (_name, input, message) => {
    const parsed = parseConfig(input, files({}));
    await expect(parsed).rejects.toThrow(ConfigError);
    await expect(parsed).rejects.toThrow(message);
  });
});
