// Signatures named by an algorithm OID (X.509 certificates, CMS SignerInfo), verified with WebCrypto:
// certificate issuance (notary/issuance.ts) and timestamp tokens (timestamp/token.ts) share it, and the
// hash OIDs with the timestamp messages.
import { asBufferSource } from "../encoding.ts";
import type { HashName } from "../signing/algorithm.ts";
import { ecdsaDerToRaw } from "../signing/ecdsa-signature.ts";
import type { SpkiKey } from "./public-key.ts";

export const HashOid: Readonly<Record<HashName, string>> = {
  "SHA-256": "2.16.840.1.101.3.4.2.1",
  "SHA-384": "2.16.840.1.101.3.4.2.2",
  "SHA-512": "2.16.840.1.101.3.4.2.3",
};
const OidHash: Readonly<Record<string, HashName>> = Object.fromEntries(
  Object.entries(HashOid).map(([name, oid]) => [oid, name as HashName]),
);

export function hashOfOid(oid: string): HashName | undefined {
  return OidHash[oid];
}

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
export const RSASSA_PSS = "1.2.840.113549.1.1.10";
// CMS may name the key's algorithm alone and leave the hash to the digest algorithm (RFC 5652 §5.3).
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const FIELD_SIZE = { "P-256": 32, "P-384": 48, "P-521": 66 } as const;

export interface OidSignature {
  readonly oid: string;
  /** As encoded: DER for ECDSA. */
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
  /** The digest algorithm's hash, for an OID that names the key's algorithm alone (CMS). */
  readonly digestHash?: HashName;
  /** RSASSA-PSS parameters, as the caller decoded them. */
  readonly pss?: { readonly hash: HashName; readonly saltLength: number };
}

/**
 * Whether the signature verifies with `key`: false also where the OID's algorithm and the key's type
 * disagree; undefined for an OID (or PSS without parameters) this does not verify.
 */
export async function verifyOidSignature(key: SpkiKey, s: OidSignature): Promise<boolean | undefined> {
  const data = asBufferSource(s.data);
  const ecdsaHash = ECDSA[s.oid] ?? (s.oid === EC_PUBLIC_KEY ? s.digestHash : undefined);
  if (ecdsaHash !== undefined) {
    if (key.type !== "ec") return false;
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = ecdsaDerToRaw(s.signature, FIELD_SIZE[key.curve!]);
    } catch {
      return false;
    }
    const cryptoKey = await importKey(key, { name: "ECDSA", namedCurve: key.curve! });
    return crypto.subtle.verify({ name: "ECDSA", hash: ecdsaHash }, cryptoKey, raw, data);
  }
  const pkcs1Hash = RSA_PKCS1[s.oid] ?? (s.oid === RSA_ENCRYPTION ? s.digestHash : undefined);
  if (pkcs1Hash !== undefined) {
    if (key.type !== "rsa") return false;
    const params = { name: "RSASSA-PKCS1-v1_5", hash: pkcs1Hash };
    return crypto.subtle.verify(params, await importKey(key, params), asBufferSource(s.signature), data);
  }
  if (s.oid === RSASSA_PSS && s.pss !== undefined) {
    if (key.type !== "rsa") return false;
    const cryptoKey = await importKey(key, { name: "RSA-PSS", hash: s.pss.hash });
    const params = { name: "RSA-PSS", saltLength: s.pss.saltLength };
    return crypto.subtle.verify(params, cryptoKey, asBufferSource(s.signature), data);
  }
  return undefined;
}

function importKey(key: SpkiKey, algorithm: RsaHashedImportParams | EcKeyImportParams): Promise<CryptoKey> {
  return crypto.subtle.importKey("spki", asBufferSource(key.spki), algorithm, false, ["verify"]);
}
