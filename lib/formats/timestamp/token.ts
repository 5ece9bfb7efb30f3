// Verifies an RFC 3161 TimeStampToken (a CMS SignedData over a TSTInfo, RFC 5652 §5) against trusted
// TSA roots, as notation's tspclient-go (`SignedToken.Verify`) and sigstore's timestamp-authority
// (`VerifyTimestampResponse`) do: the signed attributes bind the TSTInfo, the signer certificate is the
// one the ESS signing-certificate attribute names, its EKU is timeStamping only and critical (RFC 3161
// §2.3), and it chains to a trusted root, every certificate valid at the token's genTime.
import { asBufferSource, bytesEqual } from "../../encoding.ts";
import type { HashName } from "../../signing/algorithm.ts";
import { children, readTlv, type Tlv } from "../der.ts";
import { CertificateError, type NotaryCertificate, parseCertificate } from "../notary/certificate.ts";
import { hashOfOid, verifyOidSignature } from "../signature-oid.ts";
import { TimestampVerificationError } from "./errors.ts";
import { decodeOid, parseTstInfo, readDer, TimestampFormatError, type TstInfo } from "./messages.ts";
import { chainToRoot, checkTimestampingAuthority, checkTimestampingLeaf } from "./tsa-chain.ts";

export { TimestampVerificationError } from "./errors.ts";

const Oid = {
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  timeStamping: "1.3.6.1.5.5.7.3.8",
} as const;

/** One timestamping authority a verifier trusts (a `tsa` trust store, or a trusted_root.json entry). */
export interface TimestampAuthority {
  /** Self-signed roots, DER. */
  readonly roots: readonly Uint8Array[];
  /** Further certificates for chain building (a trusted root's intermediates). */
  readonly intermediates?: readonly Uint8Array[];
  /** sigstore's `TSACertificate`: when set, the token must be signed by exactly this certificate. */
  readonly leaf?: Uint8Array;
  /** trusted_root.json `validFor`: the timestamp must fall inside it. */
  readonly validFor?: { readonly start?: Date; readonly end?: Date };
  /** For messages (a trusted root's `uri`, a trust store's name). */
  readonly name?: string;
}

export interface VerifiedTimestamp {
  readonly genTime: Date;
  readonly accuracyMs: number;
  readonly info: TstInfo;
  /** Leaf first, ending in the trusted root. */
  readonly chain: readonly NotaryCertificate[];
  readonly authority?: string;
}

export interface VerifyTokenOptions {
  /** The bytes that were timestamped (a signature value). */
  readonly data: Uint8Array;
  readonly authorities: readonly TimestampAuthority[];
  /** notation's tspclient-go accepts only the ESS signingCertificateV2 attribute (RFC 5816). */
  readonly requireSigningCertificateV2?: boolean;
}

interface SignedToken {
  readonly info: TstInfo;
  readonly certificates: readonly Uint8Array[];
  readonly digestHash: HashName;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  /** The signed attributes re-tagged as a SET (RFC 5652 §5.4): what the signature covers. */
  readonly signedAttributes: Uint8Array;
  readonly attributes: ReadonlyMap<string, Uint8Array>;
  readonly sid: { readonly issuer?: Uint8Array; readonly serial?: Uint8Array };
}

/** Verifies `token` over `options.data`; throws TimestampVerificationError saying why it is not trusted. */
export async function verifyTimestampToken(
  token: Uint8Array,
  options: VerifyTokenOptions,
): Promise<VerifiedTimestamp> {
  let signed: SignedToken;
  try {
    signed = parseSignedToken(token);
  } catch (error) {
    if (error instanceof TimestampFormatError || error instanceof CertificateError) {
      throw new TimestampVerificationError(`the timestamp token is malformed: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const { info } = signed;
  if (!bytesEqual(await digest(info.hash, options.data), info.hashedMessage)) {
    throw new TimestampVerificationError(
      "the timestamp is over other data than this signature (messageImprint)",
    );
  }
  await checkSignedAttributes(signed);
  if (options.authorities.length === 0)
    throw new TimestampVerificationError("no timestamping authority is trusted");
  const failures: string[] = [];
  for (const authority of options.authorities) {
    try {
      return await verifyWithAuthority(signed, authority, options.requireSigningCertificateV2 === true);
    } catch (error) {
      if (!(error instanceof TimestampVerificationError)) throw error;
      failures.push(authority.name ? `${authority.name}: ${error.message}` : error.message);
    }
  }
  throw new TimestampVerificationError(failures.join("; "));
}

function parseSignedToken(token: Uint8Array): SignedToken {
  return readDer("the timestamp token", () => {
    const contentInfo = readTlv(token, 0);
    if (contentInfo.tag !== 0x30 || contentInfo.end !== token.length) {
      throw new TimestampFormatError("not a DER ContentInfo");
    }
    const [type, explicit] = children(token, contentInfo);
    if (!type || decodeOid(token, type) !== Oid.signedData || explicit?.tag !== 0xa0) {
      throw new TimestampFormatError("not a CMS SignedData");
    }
    const signedData = children(token, explicit)[0]!;
    const fields = children(token, signedData);
    const encap = fields[2];
    const [eType, eContent] = encap ? children(token, encap) : [];
    if (!eType || decodeOid(token, eType) !== Oid.tstInfo || eContent?.tag !== 0xa0) {
      throw new TimestampFormatError("the SignedData does not encapsulate a TSTInfo");
    }
    const octets = children(token, eContent)[0];
    if (octets?.tag !== 0x04) throw new TimestampFormatError("the TSTInfo is not an OCTET STRING");
    const info = parseTstInfo(token.slice(octets.contentStart, octets.end));
    const certificates = fields
      .filter((field) => field.tag === 0xa0)
      .flatMap((field) => children(token, field))
      .filter((certificate) => certificate.tag === 0x30)
      .map((certificate) => token.slice(certificate.start, certificate.end));
    const signerInfos = fields.at(-1);
    const signerInfo = signerInfos?.tag === 0x31 ? children(token, signerInfos)[0] : undefined;
    if (!signerInfo) throw new TimestampFormatError("the SignedData has no SignerInfo");
    return { info, certificates, ...parseSignerInfo(token, signerInfo) };
  });
}

function parseSignerInfo(token: Uint8Array, signerInfo: Tlv) {
  const [, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature] = children(token, signerInfo);
  if (
    !sid ||
    !digestAlgorithm ||
    signedAttrs?.tag !== 0xa0 ||
    !signatureAlgorithm ||
    signature?.tag !== 0x04
  ) {
    throw new TimestampFormatError("the SignerInfo has no signed attributes (RFC 3161 §2.4.2 requires them)");
  }
  const digestOid = decodeOid(token, children(token, digestAlgorithm)[0]!);
  const digestHash = hashOfOid(digestOid);
  if (!digestHash) throw new TimestampFormatError(`digest algorithm ${digestOid} is not supported`);
  const attributes = new Map<string, Uint8Array>();
  for (const attribute of children(token, signedAttrs)) {
    const [oid, values] = children(token, attribute);
    const first = values ? children(token, values)[0] : undefined;
    if (oid && first) attributes.set(decodeOid(token, oid), token.slice(first.start, first.end));
  }
  const signedAttributes = token.slice(signedAttrs.start, signedAttrs.end);
  signedAttributes[0] = 0x31;
  const [issuer, serial] = sid.tag === 0x30 ? children(token, sid) : [];
  return {
    digestHash,
    signatureAlgorithm: decodeOid(token, children(token, signatureAlgorithm)[0]!),
    signature: token.slice(signature.contentStart, signature.end),
    signedAttributes,
    attributes,
    sid: {
      ...(issuer && { issuer: token.slice(issuer.start, issuer.end) }),
      ...(serial && { serial: token.slice(serial.contentStart, serial.end) }),
    },
  };
}

async function checkSignedAttributes(signed: SignedToken): Promise<void> {
  const contentType = signed.attributes.get(Oid.contentType);
  if (!contentType || decodeOid(contentType, readTlv(contentType, 0)) !== Oid.tstInfo) {
    throw new TimestampVerificationError("the signed content-type attribute is not id-ct-TSTInfo");
  }
  const messageDigest = signed.attributes.get(Oid.messageDigest);
  const expected = await digest(signed.digestHash, signed.info.der);
  if (
    !messageDigest ||
    !bytesEqual(messageDigest.subarray(readTlv(messageDigest, 0).contentStart), expected)
  ) {
    throw new TimestampVerificationError("the signed message-digest attribute does not match the TSTInfo");
  }
}

async function verifyWithAuthority(
  signed: SignedToken,
  authority: TimestampAuthority,
  requireV2: boolean,
): Promise<VerifiedTimestamp> {
  const pool = [
    ...signed.certificates,
    ...(authority.intermediates ?? []),
    ...(authority.leaf ? [authority.leaf] : []),
  ];
  const signer = await signingCertificate(signed, pool, requireV2);
  if (authority.leaf && !bytesEqual(signer.der, authority.leaf)) {
    throw new TimestampVerificationError(
      `signed by "${signer.subjectName}", not this authority's TSA certificate`,
    );
  }
  if (!(await verifySignature(signed, signer))) {
    throw new TimestampVerificationError(
      `the token's signature does not verify with "${signer.subjectName}"`,
    );
  }
  checkTimestampingLeaf(signer);
  const genTime = signed.info.genTime;
  const chain = await chainToRoot(signer, pool.map(parseCertificate), authority.roots.map(parseCertificate));
  for (const [index, certificate] of chain.entries()) {
    if (index > 0) checkTimestampingAuthority(certificate);
    if (genTime < certificate.notBefore || genTime > certificate.notAfter) {
      throw new TimestampVerificationError(
        `TSA certificate "${certificate.subjectName}" was not valid at the timestamp ${genTime.toISOString()}`,
      );
    }
  }
  const { start, end } = authority.validFor ?? {};
  if ((start && genTime < start) || (end && genTime > end)) {
    throw new TimestampVerificationError(
      `the timestamp ${genTime.toISOString()} is outside the authority's validFor`,
    );
  }
  return {
    genTime,
    accuracyMs: signed.info.accuracyMs,
    info: signed.info,
    chain,
    ...(authority.name !== undefined && { authority: authority.name }),
  };
}

/** The certificate the ESS signing-certificate attribute names (RFC 5816, RFC 2634 §5.4), else the sid. */
async function signingCertificate(
  signed: SignedToken,
  pool: readonly Uint8Array[],
  requireV2: boolean,
): Promise<NotaryCertificate> {
  const v2 = signed.attributes.get(Oid.signingCertificateV2);
  const v1 = signed.attributes.get(Oid.signingCertificate);
  if (!v2 && requireV2)
    throw new TimestampVerificationError("the token has no ESS signingCertificateV2 attribute");
  const ess = v2 ?? v1;
  for (const der of pool) {
    if (ess) {
      const { hash, certHash } = essCertId(ess, v2 !== undefined);
      if (bytesEqual(await digest(hash, der), certHash)) return parseCertificate(der);
    } else if (signed.sid.serial && bytesEqual(serialOf(der), signed.sid.serial)) {
      return parseCertificate(der);
    }
  }
  throw new TimestampVerificationError("the TSA's signing certificate is neither in the token nor trusted");
}

/** The first ESSCertID(v2): its hash algorithm (v2 default SHA-256; v1 is SHA-1) and certHash. */
function essCertId(attribute: Uint8Array, v2: boolean): { hash: HashName | "SHA-1"; certHash: Uint8Array } {
  const outer = readTlv(attribute, 0);
  const certs = children(attribute, outer)[0];
  const first = certs ? children(attribute, certs)[0] : undefined;
  const parts = first ? children(attribute, first) : [];
  let hash: HashName | "SHA-1" = v2 ? "SHA-256" : "SHA-1";
  let index = 0;
  if (v2 && parts[0]?.tag === 0x30) {
    const oid = decodeOid(attribute, children(attribute, parts[0])[0]!);
    const named = hashOfOid(oid);
    if (!named) throw new TimestampVerificationError(`ESSCertIDv2 hash ${oid} is not supported`);
    hash = named;
    index = 1;
  }
  const certHash = parts[index];
  if (certHash?.tag !== 0x04)
    throw new TimestampVerificationError("malformed ESS signing-certificate attribute");
  return { hash, certHash: attribute.slice(certHash.contentStart, certHash.end) };
}

function serialOf(der: Uint8Array): Uint8Array {
  const tbs = children(der, readTlv(der, 0))[0]!;
  const fields = children(der, tbs);
  const serial = fields[0]?.tag === 0xa0 ? fields[1]! : fields[0]!;
  return der.subarray(serial.contentStart, serial.end);
}

async function verifySignature(signed: SignedToken, signer: NotaryCertificate): Promise<boolean> {
  const oid = signed.signatureAlgorithm;
  const verified = await verifyOidSignature(signer.publicKey, {
    oid,
    signature: signed.signature,
    data: signed.signedAttributes,
    digestHash: signed.digestHash,
  });
  if (verified === true) return true;
  if (verified === undefined)
    throw new TimestampVerificationError(`timestamp signature algorithm ${oid} is not supported`);
  return false;
}

async function digest(hash: HashName | "SHA-1", data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, asBufferSource(data)));
}
