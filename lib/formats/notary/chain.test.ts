// The Notary Project's certificate requirements, one rule per test, on chains issued for the purpose.
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CertificateSpec,
  CodeSigning,
  issueCertificate,
  KeyUsage_,
  ServerAuth,
} from "../../../test/support/signing/test-pki.ts";
import { LocalSigner } from "../../signing/local.ts";
import { Rejection } from "../verdict.ts";
import { parseCertificate } from "./certificate.ts";
import { validateCodeSigningChain, validateValidity } from "./chain.ts";

let root: LocalSigner;
let intermediate: LocalSigner;
let leaf: LocalSigner;
let rootCert: Uint8Array;
let intermediateCert: Uint8Array;

beforeAll(async () => {
  [root, intermediate, leaf] = await Promise.all([
    LocalSigner.generate("PS256"),
    LocalSigner.generate("ES384"),
    LocalSigner.generate("ES256"),
  ]);
  rootCert = await issueCertificate({ commonName: "root", subjectKey: root, ca: true });
  intermediateCert = await issueCertificate({
    commonName: "intermediate",
    subjectKey: intermediate,
    ca: true,
    issuer: { commonName: "root", signer: root },
  });
});

function leafCert(spec: Partial<CertificateSpec> = {}): Promise<Uint8Array> {
  return issueCertificate({
    commonName: "leaf",
    subjectKey: leaf,
    issuer: { commonName: "intermediate", signer: intermediate },
    ...spec,
  });
}

async function judge(...chain: Uint8Array[]): Promise<{ code: string; reason: string } | "valid"> {
  try {
    await validateCodeSigningChain(chain.map(parseCertificate));
    return "valid";
  } catch (error) {
    if (error instanceof Rejection) return { code: error.code, reason: error.message };
    throw error;
  }
}

describe("validateCodeSigningChain", () => {
  it("accepts leaf → intermediate → root, with mixed RSA-PSS and ECDSA issuers", async () => {
    expect(await judge(await leafCert(), intermediateCert, rootCert)).toBe("valid");
  });

  it("accepts a self-signed leaf that meets the leaf rules", async () => {
    expect(await judge(await issueCertificate({ commonName: "alone", subjectKey: leaf }))).toBe("valid");
  });

  it.each<[string, Partial<CertificateSpec>, RegExp]>([
    ["a CA leaf", { ca: true }, /is a CA/],
    ["no keyUsage", { keyUsage: null }, /no keyUsage/],
    ["a non-critical keyUsage", { keyUsageCritical: false }, /keyUsage must be critical/],
    ["keyUsage without digitalSignature", { keyUsage: KeyUsage_.keyEncipherment }, /lacks digitalSignature/],
    [
      "keyUsage beyond digitalSignature",
      { keyUsage: 1 | KeyUsage_.keyEncipherment },
      /digitalSignature only/,
    ],
    ["EKU serverAuth", { extendedKeyUsage: [CodeSigning, ServerAuth] }, /includes serverAuth/],
    ["EKU without codeSigning", { extendedKeyUsage: ["1.3.6.1.5.5.7.3.5"] }, /lacks codeSigning/],
  ])("rejects a leaf with %s", async (_name, spec, reason) => {
    const verdict = await judge(await leafCert(spec), intermediateCert, rootCert);
    expect(verdict).toMatchObject({ code: "certificate", reason: expect.stringMatching(reason) });
  });

  it("accepts a leaf without EKU (the extension is optional)", async () => {
    expect(await judge(await leafCert({ extendedKeyUsage: null }), intermediateCert, rootCert)).toBe("valid");
  });

  it("rejects an intermediate that is not a CA, or may not sign certificates", async () => {
    for (const [spec, reason] of [
      [{ ca: false }, /lacks basicConstraints cA=true/],
      [{ ca: true, keyUsage: KeyUsage_.cRLSign }, /lacks keyCertSign/],
    ] as const) {
      const bad = await issueCertificate({
        commonName: "intermediate",
        subjectKey: intermediate,
        issuer: { commonName: "root", signer: root },
        ...spec,
      });
      expect(await judge(await leafCert(), bad, rootCert)).toMatchObject({
        code: "certificate",
        reason: expect.stringMatching(reason),
      });
    }
  });

  it("rejects a CA whose path length leaves no room for the CA below it", async () => {
    const upper = await issueCertificate({
      commonName: "upper",
      subjectKey: intermediate,
      ca: true,
      pathLength: 0,
      issuer: { commonName: "root", signer: root },
    });
    const lower = await issueCertificate({
      commonName: "intermediate",
      subjectKey: root,
      ca: true,
      issuer: { commonName: "upper", signer: intermediate },
    });
    const leafUnderLower = await issueCertificate({
      commonName: "leaf",
      subjectKey: leaf,
      issuer: { commonName: "intermediate", signer: root },
    });
    expect(await judge(leafUnderLower, lower, upper, rootCert)).toMatchObject({
      reason: expect.stringMatching(/path length 0/),
    });
  });

  it("rejects certificates out of order, a chain not ending in a root, and a self-signed leaf before others", async () => {
    expect(await judge(await leafCert(), rootCert)).toMatchObject({
      reason: expect.stringMatching(/not issued by "CN=root, O=Countersign tests"/),
    });
    expect(await judge(await leafCert(), intermediateCert)).toMatchObject({
      reason: expect.stringMatching(/must end with a self-signed/),
    });
    const selfSigned = await issueCertificate({ commonName: "alone", subjectKey: leaf });
    expect(await judge(selfSigned, rootCert)).toMatchObject({
      reason: expect.stringMatching(/leaf certificate .* is self-signed/),
    });
  });

  it("rejects a chain whose signature was altered", async () => {
    const der = await leafCert();
    der[der.length - 2]! ^= 0x01;
    expect(await judge(der, intermediateCert, rootCert)).toMatchObject({ code: "certificate" });
  });
});

describe("validateValidity", () => {
  it("rejects a certificate outside its validity period at the given moment, bounds inclusive", async () => {
    const notBefore = new Date("2030-01-01T00:00:00Z");
    const notAfter = new Date("2030-01-02T00:00:00Z");
    const certificate = parseCertificate(await leafCert({ notBefore, notAfter }));
    expect(() => validateValidity([certificate], notBefore, "now")).not.toThrow();
    expect(() => validateValidity([certificate], notAfter, "now")).not.toThrow();
    expect(() => validateValidity([certificate], new Date("2030-01-02T00:00:01Z"), "now")).toThrow(
      /is not valid now/,
    );
    expect(() =>
      validateValidity([certificate], new Date("2029-12-31T23:59:59Z"), "at signing time"),
    ).toThrow(Rejection);
  });
});
