// X.509 certificates as the Notary Project reads them (RFC 5280 §4.1). The signed TBS bytes and the
// raw names are sliced out of the DER exactly as received; asn1-x509 parses everything else.
import { AsnConvert, BitString } from "@peculiar/asn1-schema";
import {
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  type Name,
} from "@peculiar/asn1-x509";
import { children, readTlv } from "../der.ts";
import { parseSpki, type SpkiKey } from "../public-key.ts";

export interface KeyUsageExtension {
  /** RFC 5280 §4.2.1.3 bits as a number: digitalSignature = 1, keyCertSign = 32, ... */
  readonly bits: number;
  readonly critical: boolean;
}

export interface BasicConstraintsExtension {
  readonly ca: boolean;
  readonly pathLength?: number;
  readonly critical: boolean;
}

export interface NotaryCertificate {
  readonly der: Uint8Array;
  /** The TBSCertificate TLV: what the issuer signed. */
  readonly tbs: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  /** For messages only, e.g. `CN=e2e, O=Notary`. */
  readonly subjectName: string;
  /** The subject's RDNs, each a list of [type, value], types as Go's pkix.Name.String() names them. */
  readonly subjectRdns: readonly (readonly (readonly [string, string])[])[];
  readonly publicKey: SpkiKey;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signatureAlgorithm: string;
  readonly signatureParameters?: Uint8Array;
  readonly signature: Uint8Array;
  readonly keyUsage?: KeyUsageExtension;
  readonly extendedKeyUsage?: readonly string[];
  /** RFC 3161 §2.3 wants a TSA's EKU extension critical. */
  readonly extendedKeyUsageCritical?: boolean;
  readonly basicConstraints?: BasicConstraintsExtension;
}

export class CertificateError extends Error {
  override readonly name = "CertificateError";
}

export const KeyUsageBit = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

const NAME_LABELS: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.9": "STREET",
  "2.5.4.17": "POSTALCODE",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
};

export function parseCertificate(der: Uint8Array): NotaryCertificate {
  try {
    return parseUnchecked(der);
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    throw new CertificateError("not a DER X.509 certificate", { cause: error });
  }
}

/** The raw TLVs of a certificate, sliced without a full parse. */
function certificateTlvs(der: Uint8Array) {
  const outer = readTlv(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) {
    throw new CertificateError("not a DER X.509 certificate");
  }
  const [tbs, , signatureValue] = children(der, outer);
  if (tbs?.tag !== 0x30 || signatureValue?.tag !== 0x03) throw new CertificateError("malformed Certificate");
  // TBSCertificate: [0] version?, serialNumber, signature, issuer, validity, subject, spki, ...
  const fields = children(der, tbs);
  const rest = fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
  const [, , issuer, , subject, spki] = rest;
  if (!issuer || !subject || spki?.tag !== 0x30) throw new CertificateError("malformed TBSCertificate");
  return { tbs, signatureValue, issuer, subject, spki };
}

/** Just the SubjectPublicKeyInfo: what signing needs, without the cost of a full parse. */
export function certificatePublicKey(der: Uint8Array): SpkiKey {
  try {
    const { spki } = certificateTlvs(der);
    return parseSpki(der.subarray(spki.start, spki.end));
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    throw new CertificateError("not a DER X.509 certificate", { cause: error });
  }
}

function parseUnchecked(der: Uint8Array): NotaryCertificate {
  const { tbs, signatureValue, issuer, subject, spki } = certificateTlvs(der);
  const parsed = AsnConvert.parse(der, Certificate);
  const extensions = parsed.tbsCertificate.extensions ?? [];
  const slice = (tlv: { start: number; end: number }) => new Uint8Array(der.subarray(tlv.start, tlv.end));
  const certificate: NotaryCertificate = {
    der: new Uint8Array(der),
    tbs: slice(tbs),
    issuer: slice(issuer),
    subject: slice(subject),
    subjectName: displayName(parsed.tbsCertificate.subject),
    subjectRdns: [...parsed.tbsCertificate.subject].map((rdn) =>
      [...rdn].map(
        (attribute) => [NAME_LABELS[attribute.type] ?? attribute.type, attribute.value.toString()] as const,
      ),
    ),
    publicKey: parseSpki(slice(spki)),
    notBefore: parsed.tbsCertificate.validity.notBefore.getTime(),
    notAfter: parsed.tbsCertificate.validity.notAfter.getTime(),
    signatureAlgorithm: parsed.signatureAlgorithm.algorithm,
    ...(parsed.signatureAlgorithm.parameters
      ? { signatureParameters: new Uint8Array(parsed.signatureAlgorithm.parameters) }
      : {}),
    // BIT STRING content: the first octet counts unused bits, always 0 for signatures.
    signature: new Uint8Array(der.subarray(signatureValue.contentStart + 1, signatureValue.end)),
  };
  for (const extension of extensions) {
    const value = extension.extnValue.buffer;
    if (extension.extnID === id_ce_keyUsage) {
      const bits = AsnConvert.parse(value, BitString).toNumber();
      Object.assign(certificate, { keyUsage: { bits, critical: extension.critical } });
    } else if (extension.extnID === id_ce_extKeyUsage) {
      Object.assign(certificate, {
        extendedKeyUsage: [...AsnConvert.parse(value, ExtendedKeyUsage)],
        extendedKeyUsageCritical: extension.critical,
      });
    } else if (extension.extnID === id_ce_basicConstraints) {
      const constraints = AsnConvert.parse(value, BasicConstraints);
      Object.assign(certificate, {
        basicConstraints: {
          ca: constraints.cA,
          ...(constraints.pathLenConstraint !== undefined
            ? { pathLength: constraints.pathLenConstraint }
            : {}),
          critical: extension.critical,
        },
      });
    }
  }
  return certificate;
}

function displayName(name: Name): string {
  const parts: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      parts.push(`${NAME_LABELS[attribute.type] ?? attribute.type}=${attribute.value.toString()}`);
    }
  }
  return parts.reverse().join(", ");
}
