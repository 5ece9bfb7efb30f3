// The Notary Project's certificate-chain rules (notaryproject/specifications, signature-specification.md
// "Certificate Requirements"; notation-core-go x509/codesigning_cert_validations.go), as verdicts.
import { reject } from "../verdict.ts";
import { KeyUsageBit, type NotaryCertificate } from "./certificate.ts";
import { isIssuedBy, isSelfIssued, UnsupportedSignatureAlgorithm } from "./issuance.ts";

const CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
/** EKUs that make a certificate unfit for code signing (notation-core-go `excludedEkus`). */
const EXCLUDED_EKUS: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
};
const LEAF_FORBIDDEN_USAGES =
  KeyUsageBit.keyEncipherment |
  KeyUsageBit.dataEncipherment |
  KeyUsageBit.keyAgreement |
  KeyUsageBit.keyCertSign |
  KeyUsageBit.cRLSign |
  KeyUsageBit.encipherOnly |
  KeyUsageBit.decipherOnly;

/**
 * Validates issuance from leaf to root: every certificate signed by the next, the last one (or the only
 * one) self-signed, no self-signed certificate before the end, leaf and CA extension rules.
 */
export async function validateCodeSigningChain(chain: readonly NotaryCertificate[]): Promise<void> {
  if (chain.length === 0) reject("certificate", "the certificate chain is empty");
  for (const [index, certificate] of chain.entries()) {
    const last = index === chain.length - 1;
    const issuer = last ? certificate : chain[index + 1]!;
    if (!last && isSelfIssued(certificate) && (await issuedBy(certificate, certificate))) {
      reject(
        "certificate",
        `${role(index)} certificate "${certificate.subjectName}" is self-signed but not last`,
      );
    }
    if (!(await issuedBy(certificate, issuer))) {
      reject(
        "certificate",
        last
          ? `the chain must end with a self-signed certificate; "${certificate.subjectName}" is not`
          : `certificate "${certificate.subjectName}" is not issued by "${issuer.subjectName}"`,
      );
    }
    if (index === 0) validateLeaf(certificate);
    else validateCertificateAuthority(certificate, index - 1);
  }
}

async function issuedBy(certificate: NotaryCertificate, issuer: NotaryCertificate): Promise<boolean> {
  try {
    return await isIssuedBy(certificate, issuer);
  } catch (error) {
    if (error instanceof UnsupportedSignatureAlgorithm)
      reject("unsupported", error.message, { cause: error });
    throw error;
  }
}

function role(index: number): string {
  return index === 0 ? "leaf" : "intermediate";
}

export function validateLeaf(certificate: NotaryCertificate): void {
  const name = certificate.subjectName;
  if (certificate.basicConstraints?.ca) {
    reject("certificate", `signing certificate "${name}" is a CA (basicConstraints cA=true)`);
  }
  const usage = certificate.keyUsage;
  if (!usage) reject("certificate", `signing certificate "${name}" has no keyUsage extension`);
  if (!usage.critical) reject("certificate", `signing certificate "${name}": keyUsage must be critical`);
  if (!(usage.bits & KeyUsageBit.digitalSignature)) {
    reject("certificate", `signing certificate "${name}": keyUsage lacks digitalSignature`);
  }
  if (usage.bits & LEAF_FORBIDDEN_USAGES) {
    reject("certificate", `signing certificate "${name}": keyUsage must be digitalSignature only`);
  }
  const eku = certificate.extendedKeyUsage;
  if (eku) {
    const excluded = eku.map((oid) => EXCLUDED_EKUS[oid]).filter((label) => label !== undefined);
    if (excluded.length > 0) {
      reject(
        "certificate",
        `signing certificate "${name}": extendedKeyUsage includes ${excluded.join(", ")}`,
      );
    }
    if (!eku.includes(CODE_SIGNING)) {
      reject("certificate", `signing certificate "${name}": extendedKeyUsage lacks codeSigning`);
    }
  }
  validateKeySize(certificate);
}

function validateCertificateAuthority(certificate: NotaryCertificate, expectedPathLength: number): void {
  const name = certificate.subjectName;
  const constraints = certificate.basicConstraints;
  if (!constraints?.ca) reject("certificate", `CA certificate "${name}" lacks basicConstraints cA=true`);
  if (constraints.pathLength !== undefined && constraints.pathLength < expectedPathLength) {
    reject("certificate", `CA certificate "${name}": path length ${constraints.pathLength} is too short`);
  }
  const usage = certificate.keyUsage;
  if (!usage?.critical)
    reject("certificate", `CA certificate "${name}": keyUsage must be present and critical`);
  if (!(usage.bits & KeyUsageBit.keyCertSign)) {
    reject("certificate", `CA certificate "${name}": keyUsage lacks keyCertSign`);
  }
}

function validateKeySize(certificate: NotaryCertificate): void {
  const key = certificate.publicKey;
  if (key.type === "rsa" && ![2048, 3072, 4096].includes(key.modulusBits!)) {
    reject(
      "certificate",
      `signing certificate "${certificate.subjectName}": RSA ${key.modulusBits} bits unsupported`,
    );
  }
}

/** Each certificate valid at `moment` (RFC 5280 §4.1.2.5: both bounds inclusive). */
export function validateValidity(chain: readonly NotaryCertificate[], moment: Date, when: string): void {
  for (const certificate of chain) {
    if (moment < certificate.notBefore || moment > certificate.notAfter) {
      reject(
        "expired",
        `certificate "${certificate.subjectName}" is not valid ${when} (${moment.toISOString()}): valid from ` +
          `${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}`,
      );
    }
  }
}
