import { X509Certificate } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_kp_codeSigning,
} from "@peculiar/asn1-x509";
import { beforeAll, describe, expect, it } from "vitest";
import {
  certificatePem,
  certificateSpki,
  createNotaryCertificate,
  parseCertificateChain,
  thumbprint,
} from "../../lib/signing/certificate.ts";
import { CertificateError } from "../../lib/signing/errors.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { SignatureAlgorithm } from "../../lib/signing/signer.ts";

const signatureOids: Record<SignatureAlgorithm, string> = {
  ES256: "1.2.840.10045.4.3.2",
  ES384: "1.2.840.10045.4.3.3",
  ES512: "1.2.840.10045.4.3.4",
  PS256: "1.2.840.113549.1.1.10",
  PS384: "1.2.840.113549.1.1.10",
  PS512: "1.2.840.113549.1.1.10",
};

/** The leaf rules notation-core-go applies (x509/codesigning_cert_validations.go, helper.go). */
function notaryLeafViolations(der: Uint8Array): string[] {
  const cert = AsnConvert.parse(der, Certificate);
  const extensions = cert.tbsCertificate.extensions ?? [];
  const find = (oid: string) => extensions.find((e) => e.extnID === oid);
  const violations: string[] = [];
  const keyUsage = find(id_ce_keyUsage);
  if (!keyUsage?.critical) violations.push("keyUsage must be present and critical");
  // BIT STRING, 7 unused bits, 0x80: digitalSignature and nothing else.
  else if (Buffer.from(keyUsage.extnValue.buffer).toString("hex") !== "03020780")
    violations.push("keyUsage must be digitalSignature only");
  const basic = find(id_ce_basicConstraints);
  if (basic && AsnConvert.parse(basic.extnValue.buffer, BasicConstraints).cA)
    violations.push("leaf must not be a CA");
  const eku = find(id_ce_extKeyUsage);
  const purposes = eku ? [...AsnConvert.parse(eku.extnValue.buffer, ExtendedKeyUsage)] : [];
  const excluded = [
    "1.3.6.1.5.5.7.3.1",
    "1.3.6.1.5.5.7.3.2",
    "1.3.6.1.5.5.7.3.4",
    "1.3.6.1.5.5.7.3.8",
    "1.3.6.1.5.5.7.3.9",
  ];
  if (purposes.some((p) => excluded.includes(p))) violations.push("excluded EKU present");
  const raw = Buffer.from(der);
  const x509 = new X509Certificate(raw);
  if (x509.subject !== x509.issuer || !x509.verify(x509.publicKey)) violations.push("not self-signed");
  return violations;
}

describe("createNotaryCertificate", () => {
  const signers = new Map<SignatureAlgorithm, LocalSigner>();
  beforeAll(async () => {
    for (const algorithm of ["ES256", "ES384", "ES512", "PS256"] as const) {
      signers.set(algorithm, await LocalSigner.generate(algorithm));
    }
  });

  it.each(["ES256", "ES384", "ES512", "PS256"] as const)(
    "%s: a self-signed code-signing leaf that OpenSSL parses and verifies",
    async (algorithm) => {
      const signer = signers.get(algorithm)!;
      const der = await createNotaryCertificate(signer, {
        subject: "CN=Countersign test, O=Example\\, Inc., C=US",
      });
      const x509 = new X509Certificate(Buffer.from(der));
      expect(x509.subject).toBe("C=US\nO=Example\\, Inc.\nCN=Countersign test");
      expect(x509.issuer).toBe(x509.subject);
      expect(x509.ca).toBe(false);
      expect(x509.keyUsage).toEqual([id_kp_codeSigning]);
      expect(x509.verify(x509.publicKey)).toBe(true);
      // Not checkIssued(): OpenSSL wants keyCertSign on an issuer, and Notary forbids it on a leaf.
      expect(certificateSpki(der)).toEqual((await signer.publicKey()).spki);
      expect(notaryLeafViolations(der)).toEqual([]);

      const parsed = AsnConvert.parse(der, Certificate);
      expect(parsed.signatureAlgorithm.algorithm).toBe(signatureOids[algorithm]);
      expect(parsed.tbsCertificate.extensions?.map((e) => [e.extnID, e.critical])).toEqual([
        [id_ce_basicConstraints, true],
        [id_ce_keyUsage, true],
        [id_ce_extKeyUsage, false],
        [id_ce_subjectKeyIdentifier, false],
      ]);
    },
  );

  it("honours the validity window and serial number it is given", async () => {
    const notBefore = new Date("2030-01-01T00:00:00Z");
    const der = await createNotaryCertificate(signers.get("ES256")!, {
      subject: { commonName: "x", organization: "y" },
      notBefore,
      validityDays: 10,
      serialNumber: Uint8Array.from([0x81, 0x02]),
    });
    const x509 = new X509Certificate(Buffer.from(der));
    expect(new Date(x509.validFrom).toISOString()).toBe("2030-01-01T00:00:00.000Z");
    expect(new Date(x509.validTo).toISOString()).toBe("2030-01-11T00:00:00.000Z");
    expect(x509.serialNumber).toBe("8102");
    expect(x509.subject).toBe("O=y\nCN=x");
  });

  it("defaults to a window opening five minutes ago, one year long, with a positive 16-byte serial", async () => {
    const before = Date.now();
    const x509 = new X509Certificate(
      Buffer.from(await createNotaryCertificate(signers.get("ES256")!, { subject: "CN=x" })),
    );
    const from = new Date(x509.validFrom).getTime();
    expect(from).toBeLessThanOrEqual(before - 4 * 60_000);
    expect(from).toBeGreaterThan(before - 6 * 60_000);
    expect(new Date(x509.validTo).getTime() - from).toBe(365 * 86_400_000);
    expect(x509.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
  });

  it("refuses an empty window and a subject without CN", async () => {
    const signer = signers.get("ES256")!;
    const now = new Date();
    await expect(
      createNotaryCertificate(signer, { subject: "CN=x", notBefore: now, notAfter: now }),
    ).rejects.toThrow(CertificateError);
    await expect(createNotaryCertificate(signer, { subject: "O=x" })).rejects.toThrow(/needs a CN/);
  });
});

describe("certificate chains", () => {
  it("parses a PEM chain in order, ignoring text between blocks, and prints it back", async () => {
    const leaf = await createNotaryCertificate(await LocalSigner.generate(), { subject: "CN=leaf" });
    const root = await createNotaryCertificate(await LocalSigner.generate(), { subject: "CN=root" });
    const pem = `subject=CN=leaf\n${certificatePem(leaf)}\nsubject=CN=root\n${certificatePem(root)}`;
    expect(parseCertificateChain(pem)).toEqual([leaf, root]);
    expect(certificatePem(leaf)).toMatch(
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/,
    );
    expect(await thumbprint(leaf)).toBe(
      new X509Certificate(Buffer.from(leaf)).fingerprint256.replace(/:/g, "").toLowerCase(),
    );
  });

  it.each([
    ["no certificate", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"],
    ["nothing at all", "hello"],
    ["a block that is not X.509", "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n"],
    ["broken base64", "-----BEGIN CERTIFICATE-----\nM*MCAQE=\n-----END CERTIFICATE-----\n"],
  ])("rejects %s", (_reason, pem) => {
    expect(() => parseCertificateChain(pem)).toThrow(CertificateError);
  });
});
