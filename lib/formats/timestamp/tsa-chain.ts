// The TSA's certificate chain (RFC 3161 §2.3; notation-core-go x509/timestamp_cert_validations.go):
// the signing certificate's only EKU is timeStamping, marked critical, and it chains through CA
// certificates to a trusted root.
import { bytesEqual } from "../../encoding.ts";
import { KeyUsageBit, type NotaryCertificate } from "../notary/certificate.ts";
import { isIssuedBy, UnsupportedSignatureAlgorithm } from "../notary/issuance.ts";
import { TimestampVerificationError } from "./errors.ts";

const TIME_STAMPING = "1.3.6.1.5.5.7.3.8";

/** RFC 3161 §2.3: exactly one EKU, timeStamping, in a critical extension; notation also wants digitalSignature. */
export function checkTimestampingLeaf(certificate: NotaryCertificate): void {
  const name = certificate.subjectName;
  const eku = certificate.extendedKeyUsage;
  if (eku?.length !== 1 || eku[0] !== TIME_STAMPING || !certificate.extendedKeyUsageCritical) {
    throw new TimestampVerificationError(
      `TSA certificate "${name}" must have timeStamping as its only extended key usage, marked critical`,
    );
  }
  if (certificate.keyUsage && !(certificate.keyUsage.bits & KeyUsageBit.digitalSignature)) {
    throw new TimestampVerificationError(`TSA certificate "${name}": keyUsage lacks digitalSignature`);
  }
}

export function checkTimestampingAuthority(certificate: NotaryCertificate): void {
  if (!certificate.basicConstraints?.ca) {
    throw new TimestampVerificationError(`TSA chain certificate "${certificate.subjectName}" is not a CA`);
  }
  if (certificate.keyUsage && !(certificate.keyUsage.bits & KeyUsageBit.keyCertSign)) {
    throw new TimestampVerificationError(`TSA CA certificate "${certificate.subjectName}" lacks keyCertSign`);
  }
}

/** Leaf first up to a root of `roots` (RFC 5280 §6: names chain, signatures verify), at most 8 deep. */
export async function chainToRoot(
  leaf: NotaryCertificate,
  pool: readonly NotaryCertificate[],
  roots: readonly NotaryCertificate[],
): Promise<NotaryCertificate[]> {
  const chain = [leaf];
  for (let depth = 0; depth < 8; depth++) {
    const current = chain.at(-1)!;
    if (roots.some((root) => bytesEqual(root.der, current.der))) return chain;
    const root = await firstIssuer(current, roots);
    if (root) return [...chain, root];
    const next = await firstIssuer(
      current,
      pool.filter((candidate) => !chain.some((link) => bytesEqual(link.der, candidate.der))),
    );
    if (!next) break;
    chain.push(next);
  }
  throw new TimestampVerificationError(
    `TSA certificate "${leaf.subjectName}" does not chain to a trusted TSA root`,
  );
}

async function firstIssuer(
  certificate: NotaryCertificate,
  candidates: readonly NotaryCertificate[],
): Promise<NotaryCertificate | undefined> {
  for (const candidate of candidates) {
    try {
      if (await isIssuedBy(certificate, candidate)) return candidate;
    } catch (error) {
      if (!(error instanceof UnsupportedSignatureAlgorithm)) throw error;
    }
  }
  return undefined;
}
