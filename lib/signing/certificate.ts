// X.509 certificates for Notary Project signatures. A self-signed leaf is a complete chain for notation
// when it meets the leaf rules of the signature specification ("Certificate Requirements", checked by
// notation-core-go x509.ValidateCodeSigningCertChain): keyUsage present, critical, digitalSignature only;
// basicConstraints, if present, CA:false; no serverAuth/clientAuth/emailProtection/timeStamping/OCSP
// EKU; RSA 2048/3072/4096 or P-256/384/521. The TBSCertificate is signed through `Signer.sign`, so a
// KMS key signs its own certificate and the private key never leaves KMS.
import { id_ecdsaWithSHA256, id_ecdsaWithSHA384, id_ecdsaWithSHA512 } from "@peculiar/asn1-ecc";
import {
  id_mgf1,
  id_RSASSA_PSS,
  RsaSaPssParams,
  sha256 as sha256Identifier,
  sha384 as sha384Identifier,
  sha512 as sha512Identifier,
} from "@peculiar/asn1-rsa";
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
  id_ce_subjectKeyIdentifier,
  id_kp_codeSigning,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from "@peculiar/asn1-x509";
import { sha256Hex } from "../oci/digest.ts";
import { algorithmParameters } from "./algorithm.ts";
import { attributeOids, type CertificateSubject, nameAttributes } from "./distinguished-name.ts";
import { CertificateError, SigningError } from "./errors.ts";
import { decodePem, encodePem } from "./pem.ts";
import type { SignatureAlgorithm, Signer } from "./signer.ts";

export interface NotaryCertificateOptions {
  /** `{ commonName, organization, ... }` or an RFC 4514 string such as "CN=Countersign, O=Example". */
  readonly subject: CertificateSubject | string;
  /** Default: five minutes ago (tolerates clock skew between signer and verifier). */
  readonly notBefore?: Date;
  /** Default: `notBefore` + `validityDays`. */
  readonly notAfter?: Date;
  /** Default 365. */
  readonly validityDays?: number;
  /** Positive, at most 20 bytes (RFC 5280 §4.1.2.2); default 16 random bytes. */
  readonly serialNumber?: Uint8Array;
}

const dayMs = 86_400_000;

/** A self-signed Notary leaf certificate (DER) for the signer's key, signed by that key. */
export async function createNotaryCertificate(
  signer: Signer,
  options: NotaryCertificateOptions,
): Promise<Uint8Array> {
  const { spki } = await signer.publicKey();
  const subjectPublicKeyInfo = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  const name = encodeName(options.subject);
  const notBefore = options.notBefore ?? new Date(Date.now() - 5 * 60_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + (options.validityDays ?? 365) * dayMs);
  if (notAfter.getTime() <= notBefore.getTime())
    throw new CertificateError("notAfter must be after notBefore");
  const signatureAlgorithm = signatureAlgorithmIdentifier(signer.algorithm);

  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(options.serialNumber),
    signature: signatureAlgorithm,
    issuer: name,
    validity: new Validity({ notBefore, notAfter }),
    subject: name,
    subjectPublicKeyInfo,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
      extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_codeSigning])),
      extension(id_ce_subjectKeyIdentifier, false, await subjectKeyIdentifier(subjectPublicKeyInfo)),
    ]),
  });
  const tbs = new Uint8Array(AsnConvert.serialize(tbsCertificate));
  let signature: Uint8Array;
  try {
    // X.509 carries ECDSA signatures as DER Ecdsa-Sig-Value (RFC 5758 §3.2).
    signature = await signer.sign(tbs, "der");
  } catch (error) {
    if (error instanceof SigningError) throw error;
    throw new CertificateError(`signing the certificate with ${signer.keyId} failed`, { cause: error });
  }
  const certificate = new Certificate({
    tbsCertificate,
    signatureAlgorithm,
    // A copy: `signature` may be a view into a larger (pooled) buffer.
    signatureValue: new Uint8Array(signature).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}

/** Every "CERTIFICATE" block of a PEM chain, as DER, in order (leaf first for a Notary chain). */
export function parseCertificateChain(pem: string): Uint8Array[] {
  let blocks: ReturnType<typeof decodePem>;
  try {
    blocks = decodePem(pem);
  } catch (error) {
    throw new CertificateError("certificate chain is not valid PEM", { cause: error });
  }
  const certificates = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
  if (certificates.length === 0) throw new CertificateError('no "CERTIFICATE" PEM block found');
  for (const [i, der] of certificates.entries()) {
    try {
      AsnConvert.parse(der, Certificate);
    } catch (error) {
      throw new CertificateError(`PEM certificate #${i + 1} is not a valid X.509 certificate`, {
        cause: error,
      });
    }
  }
  return certificates;
}

export function certificatePem(der: Uint8Array): string {
  return encodePem("CERTIFICATE", der);
}

/** Lowercase hex SHA-256 of the DER: the `io.cncf.notary.x509chain.thumbprint#S256` entries. */
export async function thumbprint(der: Uint8Array): Promise<string> {
  return sha256Hex(der);
}

/** The certificate's SubjectPublicKeyInfo (DER), e.g. to check a supplied chain matches the signing key. */
export function certificateSpki(der: Uint8Array): Uint8Array {
  try {
    const certificate = AsnConvert.parse(der, Certificate);
    return new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate.subjectPublicKeyInfo));
  } catch (error) {
    throw new CertificateError("not a valid X.509 certificate", { cause: error });
  }
}

/** The certificate's notAfter, e.g. to renew a stored certificate before it expires. */
export function certificateNotAfter(der: Uint8Array): Date {
  try {
    return AsnConvert.parse(der, Certificate).tbsCertificate.validity.notAfter.getTime();
  } catch (error) {
    throw new CertificateError("not a valid X.509 certificate", { cause: error });
  }
}

function encodeName(subject: CertificateSubject | string): Name {
  return new Name(
    nameAttributes(subject).map(
      ({ type, value }) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type: attributeOids[type],
            // RFC 5280 §4.1.2.4: UTF8String, except countryName, which is a PrintableString.
            value: new AttributeValue(type === "C" ? { printableString: value } : { utf8String: value }),
          }),
        ]),
    ),
  );
}

function signatureAlgorithmIdentifier(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  switch (algorithm) {
    case "ES256":
      return new AlgorithmIdentifier({ algorithm: id_ecdsaWithSHA256 });
    case "ES384":
      return new AlgorithmIdentifier({ algorithm: id_ecdsaWithSHA384 });
    case "ES512":
      return new AlgorithmIdentifier({ algorithm: id_ecdsaWithSHA512 });
    default:
      return pssIdentifier(algorithm);
  }
}

/** RSASSA-PSS-params (RFC 4055 §3.1) as Go's x509 demands: MGF1 with the same hash, salt = hash length. */
function pssIdentifier(algorithm: SignatureAlgorithm): AlgorithmIdentifier {
  const p = algorithmParameters(algorithm);
  if (p.kind !== "RSA-PSS") throw new CertificateError(`no PSS parameters for ${algorithm}`);
  const hash = { "SHA-256": sha256Identifier, "SHA-384": sha384Identifier, "SHA-512": sha512Identifier }[
    p.hash
  ];
  const params = new RsaSaPssParams({
    hashAlgorithm: hash,
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(hash) }),
    saltLength: p.saltLength,
  });
  return new AlgorithmIdentifier({ algorithm: id_RSASSA_PSS, parameters: AsnConvert.serialize(params) });
}

function extension(extnID: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
async function subjectKeyIdentifier(spki: SubjectPublicKeyInfo): Promise<SubjectKeyIdentifier> {
  const digest = await crypto.subtle.digest("SHA-1", spki.subjectPublicKey);
  return new SubjectKeyIdentifier(digest);
}

function serialNumber(given?: Uint8Array): ArrayBuffer {
  const bytes = given ? Uint8Array.from(given) : crypto.getRandomValues(new Uint8Array(16));
  if (bytes.length === 0 || bytes.length > 20 || bytes.every((b) => b === 0)) {
    throw new CertificateError("serial number must be 1 to 20 bytes and non-zero");
  }
  // A positive INTEGER: clear the top bit rather than prepend 0x00, so 16 random bytes stay 16.
  if (!given) bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  else if ((bytes[0] ?? 0) & 0x80) return Uint8Array.from([0, ...bytes]).buffer;
  return bytes.buffer;
}
