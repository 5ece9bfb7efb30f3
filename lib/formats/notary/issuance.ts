// Checks that one certificate was signed by another's key (RFC 5280 §6.1.3 (a)(1)), with WebCrypto.
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { bytesEqual } from "../../encoding.ts";
import type { HashName } from "../../signing/algorithm.ts";
import type { SpkiKey } from "../public-key.ts";
import { hashOfOid, RSASSA_PSS, verifyOidSignature } from "../signature-oid.ts";
import type { NotaryCertificate } from "./certificate.ts";

export class UnsupportedSignatureAlgorithm extends Error {
  override readonly name = "UnsupportedSignatureAlgorithm";
}

/** Whether `issuer` names and signs `certificate`: issuer DN bytes equal, signature verifies. */
export async function isIssuedBy(
  certificate: NotaryCertificate,
  issuer: NotaryCertificate,
): Promise<boolean> {
  if (!bytesEqual(certificate.issuer, issuer.subject)) return false;
  return verifiesWith(certificate, issuer.publicKey);
}

export function isSelfIssued(certificate: NotaryCertificate): boolean {
  return bytesEqual(certificate.issuer, certificate.subject);
}

async function verifiesWith(certificate: NotaryCertificate, key: SpkiKey): Promise<boolean> {
  const oid = certificate.signatureAlgorithm;
  const pss =
    oid === RSASSA_PSS && key.type === "rsa" ? pssParameters(certificate.signatureParameters) : undefined;
  const verified = await verifyOidSignature(key, {
    oid,
    signature: certificate.signature,
    data: certificate.tbs,
    ...(pss !== undefined && { pss }),
  });
  if (verified !== undefined) return verified;
  if (oid === RSASSA_PSS) return false; // algorithm and key disagree
  throw new UnsupportedSignatureAlgorithm(`certificate signature algorithm ${oid} is not supported`);
}

function pssParameters(parameters: Uint8Array | undefined): { hash: HashName; saltLength: number } {
  if (!parameters)
    throw new UnsupportedSignatureAlgorithm("RSASSA-PSS certificate signature without parameters");
  const params = AsnConvert.parse(parameters, RsaSaPssParams);
  const hash = hashOfOid(params.hashAlgorithm.algorithm);
  if (!hash) throw new UnsupportedSignatureAlgorithm("RSASSA-PSS with an unsupported hash (SHA-2 only)");
  // WebCrypto's RSA-PSS always uses MGF1 with the message hash (RFC 8017 §9.1 allows others; nobody uses them).
  const mgf = params.maskGenAlgorithm.parameters
    ? hashOfOid(AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm)
    : undefined;
  if (mgf !== hash)
    throw new UnsupportedSignatureAlgorithm("RSASSA-PSS whose MGF1 hash differs from its hash");
  return { hash, saltLength: params.saltLength };
}
