// Public keys handed to the verifiers: SPKI DER, PEM or a WebCrypto key, reduced to one shape.

import { fromUtf8, toHex } from "../encoding.ts";
import type { NamedCurve } from "../signing/algorithm.ts";
import { pemBlocks } from "../signing/pem.ts";
import type { SignatureAlgorithm } from "../signing/signer.ts";
import { children, readTlv } from "./der.ts";
import { reject } from "./verdict.ts";

export type PublicKeyInput = Uint8Array | string | CryptoKey;

export interface SpkiKey {
  readonly spki: Uint8Array<ArrayBuffer>;
  readonly type: "ec" | "rsa";
  readonly curve?: NamedCurve;
  readonly modulusBits?: number;
}

export class PublicKeyError extends Error {
  override readonly name = "PublicKeyError";
}

const OID_EC_PUBLIC_KEY = "06072a8648ce3d0201";
const OID_RSA_ENCRYPTION = "06092a864886f70d010101";
// namedCurve parameters (RFC 5480 §2.1.1.1), as full DER TLVs.
const CURVES: Readonly<Record<string, NamedCurve>> = {
  "06082a8648ce3d030107": "P-256",
  "06052b81040022": "P-384",
  "06052b81040023": "P-521",
};

/** Parses SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) far enough to know which algorithms fit the key. */
export function parseSpki(der: Uint8Array): SpkiKey {
  try {
    const outer = readTlv(der, 0);
    if (outer.tag !== 0x30 || outer.end !== der.length)
      throw new PublicKeyError("not a SubjectPublicKeyInfo");
    const [algorithm, bits] = children(der, outer);
    if (algorithm?.tag !== 0x30 || bits?.tag !== 0x03) throw new PublicKeyError("not a SubjectPublicKeyInfo");
    const [oid, params] = children(der, algorithm);
    const oidHex = oid ? toHex(der.subarray(oid.start, oid.end)) : "";
    const spki = new Uint8Array(der);
    if (oidHex === OID_EC_PUBLIC_KEY) {
      const curve = params ? CURVES[toHex(der.subarray(params.start, params.end))] : undefined;
      if (!curve) throw new PublicKeyError("EC key on an unsupported curve (P-256, P-384, P-521 only)");
      return { spki, type: "ec", curve };
    }
    if (oidHex === OID_RSA_ENCRYPTION) return { spki, type: "rsa", modulusBits: rsaModulusBits(der, bits) };
    throw new PublicKeyError("unsupported public key algorithm (EC or RSA only)");
  } catch (error) {
    if (error instanceof PublicKeyError) throw error;
    throw new PublicKeyError("public key is not valid DER", { cause: error });
  }
}

function rsaModulusBits(der: Uint8Array, bits: ReturnType<typeof readTlv>): number {
  // BIT STRING: one "unused bits" octet, then RSAPublicKey ::= SEQUENCE { modulus, publicExponent }.
  const key = readTlv(der, bits.contentStart + 1, bits.end);
  const [modulus] = children(der, key);
  if (modulus?.tag !== 0x02) throw new PublicKeyError("RSA key without a modulus");
  let start = modulus.contentStart;
  while (start < modulus.end && der[start] === 0) start++;
  const length = modulus.end - start;
  return length === 0 ? 0 : (length - 1) * 8 + (32 - Math.clz32(der[start]!));
}

/** Accepts SPKI DER, a PEM "PUBLIC KEY" (as bytes or text) or an extractable public CryptoKey. */
export async function parsePublicKey(input: PublicKeyInput): Promise<SpkiKey> {
  if (typeof input === "string") return importable(parseSpki(onlyPublicKeyBlock(input)));
  if (input instanceof Uint8Array) {
    // PEM files arrive as bytes too: "-----" is not how DER can start.
    if (input[0] === 0x2d) return importable(parseSpki(onlyPublicKeyBlock(decodeText(input))));
    return importable(parseSpki(input));
  }
  if (input.type !== "public") throw new PublicKeyError("a public key is required");
  return parseSpki(new Uint8Array(await crypto.subtle.exportKey("spki", input)));
}

/** parsePublicKey inside a verifier: an unusable key is the failure verdict `key`, not an exception. */
export async function parseVerificationKey(input: PublicKeyInput): Promise<SpkiKey> {
  try {
    return await parsePublicKey(input);
  } catch (error) {
    if (error instanceof PublicKeyError)
      reject("key", `unusable public key: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Well-formed DER can still hold a point off the curve or a broken modulus: WebCrypto decides. */
async function importable(key: SpkiKey): Promise<SpkiKey> {
  const params =
    key.type === "ec" ? { name: "ECDSA", namedCurve: key.curve! } : { name: "RSA-PSS", hash: "SHA-256" };
  try {
    await crypto.subtle.importKey("spki", key.spki, params, false, ["verify"]);
  } catch (error) {
    throw new PublicKeyError("public key does not import (invalid point or modulus)", { cause: error });
  }
  return key;
}

function decodeText(bytes: Uint8Array): string {
  try {
    return fromUtf8(bytes);
  } catch (error) {
    throw new PublicKeyError("public key is neither DER nor PEM", { cause: error });
  }
}

function onlyPublicKeyBlock(text: string): Uint8Array<ArrayBuffer> {
  let blocks: Uint8Array<ArrayBuffer>[];
  try {
    blocks = pemBlocks(text, "PUBLIC KEY");
  } catch (error) {
    throw new PublicKeyError("PEM public key is not valid base64", { cause: error });
  }
  if (blocks.length !== 1)
    throw new PublicKeyError(`expected one PEM PUBLIC KEY block, found ${blocks.length}`);
  return blocks[0]!;
}

/** The JOSE algorithm the Notary Project derives from a key (notation-core-go `KeySpec.SignatureAlgorithm`). */
export function notaryAlgorithmFor(key: SpkiKey): SignatureAlgorithm | undefined {
  if (key.type === "ec")
    return ({ "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" } as const)[key.curve!];
  return ({ 2048: "PS256", 3072: "PS384", 4096: "PS512" } as Record<number, SignatureAlgorithm>)[
    key.modulusBits!
  ];
}
