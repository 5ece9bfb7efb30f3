// Issues X.509 certificates for tests: chains with intermediates, expired or CA leaves, wrong key
// usages: everything a Notary verifier must judge. Built with asn1-x509, signed through a `Signer`.
import { id_mgf1, RsaSaPssParams, sha256, sha384, sha512 } from "@peculiar/asn1-rsa";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  KeyUsage,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
} from "@peculiar/asn1-x509";
import type { SignatureAlgorithm, Signer } from "../../../lib/signing/signer.ts";

export const KeyUsage_ = {
  digitalSignature: 1,
  keyEncipherment: 4,
  keyCertSign: 32,
  cRLSign: 64,
} as const;
export const CodeSigning = "1.3.6.1.5.5.7.3.3";
export const ServerAuth = "1.3.6.1.5.5.7.3.1";

export interface CertificateSpec {
  readonly commonName: string;
  /** The key the certificate is for. */
  readonly subjectKey: Signer;
  /** Who signs it; absent = self-signed by `subjectKey`. */
  readonly issuer?: { readonly commonName: string; readonly signer: Signer };
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly ca?: boolean;
  readonly pathLength?: number;
  /** Default: digitalSignature for a leaf, keyCertSign|cRLSign for a CA. `null` = no extension. */
  readonly keyUsage?: number | null;
  readonly keyUsageCritical?: boolean;
  /** Subject attributes before the CN (default O=Countersign tests), for trusted-identity checks. */
  readonly names?: { readonly C?: string; readonly ST?: string; readonly O?: string };
  /** Default: [codeSigning] for a leaf, none for a CA. `null` = no extension. */
  readonly extendedKeyUsage?: readonly string[] | null;
}

/** Go's attribute names for the types a subject may carry here (notation reads DNs by them). */
const NAME_TYPES = { C: "2.5.4.6", ST: "2.5.4.8", O: "2.5.4.10" } as const;

function name(commonName: string, names?: CertificateSpec["names"]): Name {
  if (names) {
    const rdn = (type: string, value: string) =>
      new RelativeDistinguishedName([
        new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
      ]);
    return new Name([
      ...Object.entries(names).map(([key, value]) => rdn(NAME_TYPES[key as keyof typeof NAME_TYPES], value)),
      rdn("2.5.4.3", commonName),
    ]);
  }
  return new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: "2.5.4.10",
        value: new AttributeValue({ utf8String: "Countersign tests" }),
      }),
    ]),
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: "2.5.4.3", value: new AttributeValue({ utf8String: commonName }) }),
    ]),
  ]);
}

function signatureAlgorithm(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  const ecdsa = { ES256: "1.2.840.10045.4.3.2", ES384: "1.2.840.10045.4.3.3", ES512: "1.2.840.10045.4.3.4" };
  if (algorithm in ecdsa)
    return new AlgorithmIdentifier({ algorithm: ecdsa[algorithm as keyof typeof ecdsa] });
  const [hash, saltLength] = ({ PS256: [sha256, 32], PS384: [sha384, 48], PS512: [sha512, 64] } as const)[
    algorithm as "PS256"
  ];
  const params = new RsaSaPssParams({
    hashAlgorithm: hash,
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(hash) }),
    saltLength,
  });
  return new AlgorithmIdentifier({
    algorithm: "1.2.840.113549.1.1.10",
    parameters: AsnConvert.serialize(params),
  });
}

function extension(id: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

let serial = 1;

/** DER certificate for `spec`. */
export async function issueCertificate(spec: CertificateSpec): Promise<Uint8Array> {
  const issuer = spec.issuer ?? { commonName: spec.commonName, signer: spec.subjectKey };
  const now = Date.now();
  const algorithm = signatureAlgorithm(issuer.signer.algorithm);
  const extensions: Extension[] = [];
  const keyUsage =
    spec.keyUsage === undefined ? (spec.ca ? KeyUsage_.keyCertSign | KeyUsage_.cRLSign : 1) : spec.keyUsage;
  if (keyUsage !== null) {
    extensions.push(extension(id_ce_keyUsage, spec.keyUsageCritical ?? true, new KeyUsage(keyUsage)));
  }
  const eku = spec.extendedKeyUsage === undefined ? (spec.ca ? null : [CodeSigning]) : spec.extendedKeyUsage;
  if (eku !== null) extensions.push(extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([...eku])));
  if (spec.ca !== undefined) {
    const constraints = new BasicConstraints({ cA: spec.ca });
    if (spec.pathLength !== undefined) constraints.pathLenConstraint = spec.pathLength;
    extensions.push(extension(id_ce_basicConstraints, true, constraints));
  }
  const tbs = new TBSCertificate({
    version: 2,
    serialNumber: new Uint8Array([0x01, serial++ & 0x7f]).buffer,
    signature: algorithm,
    issuer: spec.issuer ? name(issuer.commonName) : name(spec.commonName, spec.names),
    validity: new Validity({
      notBefore: spec.notBefore ?? new Date(now - 3600_000),
      notAfter: spec.notAfter ?? new Date(now + 365 * 86400_000),
    }),
    subject: name(spec.commonName, spec.names),
    subjectPublicKeyInfo: AsnConvert.parse((await spec.subjectKey.publicKey()).spki, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  const signature = await issuer.signer.sign(new Uint8Array(AsnConvert.serialize(tbs)), "der");
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(signature).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}
