// The public half of a signing key in the three forms verifiers ask for (SPKI DER, PEM, JWK with an
// RFC 7638 thumbprint `kid`), and signature verification with it.
import { calculateJwkThumbprint } from "jose";
import { asBufferSource } from "../encoding.ts";
import { algorithmParameters, importParameters, signParameters } from "./algorithm.ts";
import { ecdsaDerToRaw } from "./ecdsa-signature.ts";
import { KeyFormatError } from "./errors.ts";
import { algorithmForKey, describeSpki } from "./key-type.ts";
import { encodePem } from "./pem.ts";
import type { PublicKeyInfo, SignatureAlgorithm, SignatureEncoding, SigningAlgorithm } from "./signer.ts";

/** Builds the three forms from SPKI DER; fails if the key does not fit `algorithm`. */
export async function publicKeyInfo(spki: Uint8Array, algorithm: SignatureAlgorithm): Promise<PublicKeyInfo> {
  algorithmForKey(describeSpki(spki), algorithm);
  const key = await importPublicKey(spki, algorithm);
  const exported = await crypto.subtle.exportKey("jwk", key);
  const members =
    exported.kty === "EC"
      ? { kty: "EC", crv: exported.crv, x: exported.x, y: exported.y }
      : { kty: "RSA", n: exported.n, e: exported.e };
  const kid = await jwkThumbprint(members);
  return {
    spki: new Uint8Array(spki),
    pem: encodePem("PUBLIC KEY", spki),
    jwk: { ...members, kid, alg: algorithm, use: "sig" },
  };
}

/** RFC 7638 thumbprint (SHA-256, base64url) of a public JWK. */
export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  return calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], "sha256");
}

export async function importPublicKey(spki: Uint8Array, algorithm: SigningAlgorithm): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("spki", asBufferSource(spki), importParameters(algorithm), true, [
      "verify",
    ]);
  } catch (error) {
    throw new KeyFormatError(`public key does not import as ${algorithm}`, { cause: error });
  }
}

export interface VerifySignatureInput {
  readonly spki: Uint8Array;
  readonly algorithm: SigningAlgorithm;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  readonly encoding: SignatureEncoding;
}

/** True when `signature` is a valid signature of `data`; false for a wrong or malformed signature. */
export async function verifySignature(input: VerifySignatureInput): Promise<boolean> {
  const key = await importPublicKey(input.spki, input.algorithm);
  const parameters = algorithmParameters(input.algorithm);
  let signature = input.signature;
  if (parameters.kind === "ECDSA") {
    if (input.encoding === "der") {
      try {
        signature = ecdsaDerToRaw(signature, parameters.coordinateLength);
      } catch {
        return false;
      }
    } else if (signature.length !== parameters.coordinateLength * 2) {
      return false;
    }
  }
  return crypto.subtle.verify(
    signParameters(input.algorithm),
    key,
    asBufferSource(signature),
    asBufferSource(input.data),
  );
}
