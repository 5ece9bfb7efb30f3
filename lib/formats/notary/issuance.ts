// Checks that one certificate was signed by another's key (RFC 5280 §6.1.3 (a)(1)), with WebCrypto.
import { RsaSaPssParams } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier } from "@peculiar/asn1-x509";
import { asBufferSource, bytesEqual } from "../../encoding.ts";
import type { HashName } from "../../signing/algorithm.ts";
import { ecdsaDerToRaw } from "../../signing/ecdsa-signature.ts";
import type { SpkiKey } from "../public-key.ts";
import type { NotaryCertificate } from "./certificate.ts";

const HASH_OIDS: Readonly<Record<string, HashName>> = {
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

const RSA_PKCS1: Readonly<Record<string, HashName>> = {
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};
const ECDSA: Readonly<Record<string, HashName>> = {
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};
const RSASSA_PSS = "1.2.840.113549.1.1.10";
const FIELD_SIZE = { "P-256": 32, "P-384": 48, "P-521": 66 } as const;

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
  const data = asBufferSource(certificate.tbs);
  if (RSA_PKCS1[oid] && key.type === "rsa") {
    const params = { name: "RSASSA-PKCS1-v1_5", hash: RSA_PKCS1[oid] };
    const cryptoKey = await crypto.subtle.importKey("spki", key.spki, params, false, ["verify"]);
    return crypto.subtle.verify(params, cryptoKey, asBufferSource(certificate.signature), data);
  }
  if (oid === RSASSA_PSS && key.type === "rsa") {
    const { hash, saltLength } = pssParameters(certificate.signatureParameters);
    const cryptoKey = await crypto.subtle.importKey("spki", key.spki, { name: "RSA-PSS", hash }, false, [
      "verify",
    ]);
    return crypto.subtle.verify(
      { name: "RSA-PSS", saltLength },
      cryptoKey,
      asBufferSource(certificate.signature),
      data,
    );
  }
  if (ECDSA[oid] && key.type === "ec") {
    const curve = key.curve!;
    const cryptoKey = await crypto.subtle.importKey(
      "spki",
      key.spki,
      { name: "ECDSA", namedCurve: curve },
      false,
      ["verify"],
    );
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = ecdsaDerToRaw(certificate.signature, FIELD_SIZE[curve]);
    } catch {
      return false;
    }
    return crypto.subtle.verify({ name: "ECDSA", hash: ECDSA[oid] }, cryptoKey, raw, data);
  }
  if (RSA_PKCS1[oid] || ECDSA[oid] || oid === RSASSA_PSS) return false; // algorithm and key disagree
  throw new UnsupportedSignatureAlgorithm(`certificate signature algorithm ${oid} is not supported`);
}

function pssParameters(parameters: Uint8Array | undefined): { hash: HashName; saltLength: number } {
  if (!parameters)
    throw new UnsupportedSignatureAlgorithm("RSASSA-PSS certificate signature without parameters");
  const params = AsnConvert.parse(parameters, RsaSaPssParams);
  const hash = HASH_OIDS[params.hashAlgorithm.algorithm];
  if (!hash) throw new UnsupportedSignatureAlgorithm("RSASSA-PSS with an unsupported hash (SHA-2 only)");
  // WebCrypto's RSA-PSS always uses MGF1 with the message hash (RFC 8017 §9.1 allows others; nobody uses them).
  const mgf = params.maskGenAlgorithm.parameters
    ? HASH_OIDS[AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm]
    : undefined;
  if (mgf !== hash)
    throw new UnsupportedSignatureAlgorithm("RSASSA-PSS whose MGF1 hash differs from its hash");
  return { hash, saltLength: params.saltLength };
}
