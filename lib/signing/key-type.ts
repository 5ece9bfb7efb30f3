// What kind of key a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), PKCS#8 PrivateKeyInfo (RFC 5208) or JWK
// (RFC 7518 §6) holds: WebCrypto needs the curve or hash before it will import a key.
import { ECParameters, id_ecPublicKey, id_secp256r1, id_secp384r1, id_secp521r1 } from "@peculiar/asn1-ecc";
import { PrivateKeyInfo } from "@peculiar/asn1-pkcs8";
import { id_RSASSA_PSS, id_rsaEncryption, RSAPrivateKey, RSAPublicKey } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { type AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import { fromForgivingBase64 } from "../encoding.ts";
import { curveAlgorithm, type NamedCurve, rsaAlgorithm } from "./algorithm.ts";
import { KeyFormatError, UnsupportedKeyError } from "./errors.ts";
import type { SignatureAlgorithm } from "./signer.ts";

export type KeyType =
  | { readonly kty: "EC"; readonly namedCurve: NamedCurve }
  | { readonly kty: "RSA"; readonly modulusLength: number };

const curves: Readonly<Record<string, NamedCurve>> = {
  [id_secp256r1]: "P-256",
  [id_secp384r1]: "P-384",
  [id_secp521r1]: "P-521",
};

export function describeSpki(spki: Uint8Array): KeyType {
  const info = parseDer(spki, SubjectPublicKeyInfo, "SubjectPublicKeyInfo");
  const algorithm = info.algorithm;
  if (isRsa(algorithm)) {
    const key = parseDer(new Uint8Array(info.subjectPublicKey), RSAPublicKey, "RSAPublicKey");
    return { kty: "RSA", modulusLength: bitLength(new Uint8Array(key.modulus)) };
  }
  return { kty: "EC", namedCurve: ecCurve(algorithm) };
}

export function describePkcs8(pkcs8: Uint8Array): KeyType {
  const info = parseDer(pkcs8, PrivateKeyInfo, "PKCS#8 PrivateKeyInfo");
  const algorithm = info.privateKeyAlgorithm;
  if (isRsa(algorithm)) {
    const key = parseDer(new Uint8Array(info.privateKey.buffer), RSAPrivateKey, "RSAPrivateKey");
    return { kty: "RSA", modulusLength: bitLength(new Uint8Array(key.modulus)) };
  }
  return { kty: "EC", namedCurve: ecCurve(algorithm) };
}

export function describeJwk(jwk: JsonWebKey): KeyType {
  if (jwk.kty === "EC") {
    const curve = jwk.crv ?? "";
    curveAlgorithm(curve); // refuses other curves with the reason
    return { kty: "EC", namedCurve: curve as NamedCurve };
  }
  if (jwk.kty === "RSA") {
    if (typeof jwk.n !== "string") throw new KeyFormatError("RSA JWK has no modulus (n)");
    return { kty: "RSA", modulusLength: bitLength(decodeBase64Url(jwk.n)) };
  }
  throw new UnsupportedKeyError(`JWK key type "${jwk.kty ?? ""}" is not supported; use EC or RSA`);
}

/** The algorithm Notary pairs with the key (`explicit` may pick another PSS hash for RSA keys). */
export function algorithmForKey(type: KeyType, explicit?: SignatureAlgorithm): SignatureAlgorithm {
  const natural = type.kty === "EC" ? curveAlgorithm(type.namedCurve) : rsaAlgorithm(type.modulusLength);
  if (explicit === undefined || explicit === natural) return natural;
  if (type.kty === "RSA" && explicit.startsWith("PS")) return explicit;
  throw new UnsupportedKeyError(`algorithm ${explicit} does not fit a ${describeKeyType(type)} key`);
}

export function describeKeyType(type: KeyType): string {
  return type.kty === "EC" ? `EC ${type.namedCurve}` : `RSA-${type.modulusLength}`;
}

function isRsa(algorithm: AlgorithmIdentifier): boolean {
  if (algorithm.algorithm === id_RSASSA_PSS) {
    // WebCrypto imports RSA keys only under rsaEncryption; PSS-restricted keys would need re-wrapping.
    throw new UnsupportedKeyError(
      "RSASSA-PSS-restricted keys (id-RSASSA-PSS) are not supported; use rsaEncryption",
    );
  }
  return algorithm.algorithm === id_rsaEncryption;
}

function ecCurve(algorithm: AlgorithmIdentifier): NamedCurve {
  if (algorithm.algorithm !== id_ecPublicKey || !algorithm.parameters) {
    throw new UnsupportedKeyError(`key algorithm ${algorithm.algorithm} is not supported; use EC or RSA`);
  }
  const parameters = parseDer(new Uint8Array(algorithm.parameters), ECParameters, "ECParameters");
  const curve = parameters.namedCurve === undefined ? undefined : curves[parameters.namedCurve];
  if (!curve) {
    throw new UnsupportedKeyError(
      `EC curve ${parameters.namedCurve ?? "(explicit parameters)"} is not supported; use P-256, P-384 or P-521`,
    );
  }
  return curve;
}

function bitLength(unsigned: Uint8Array): number {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  const top = unsigned[i];
  return top === undefined ? 0 : (unsigned.length - i - 1) * 8 + (32 - Math.clz32(top));
}

function parseDer<T>(der: Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(der, type);
  } catch {
    // No `cause`: the parser's error may hold the input's bytes, and the input may be a private key.
    throw new KeyFormatError(`not a valid DER ${what}`);
  }
}

function decodeBase64Url(text: string): Uint8Array {
  try {
    // Padding tolerated: only the modulus length is read here; WebCrypto's JWK import judges the key.
    return fromForgivingBase64(text.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw new KeyFormatError("JWK member is not base64url");
  }
}
