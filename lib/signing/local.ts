// A signer holding its private key in memory (WebCrypto): from a PKCS#8 PEM or a private JWK, or
// generated. The development default and the fallback when no KMS is configured.

import { asBufferSource } from "../encoding.ts";
import {
  algorithmParameters,
  importParameters,
  isSignatureAlgorithm,
  signingAlgorithm,
  signParameters,
} from "./algorithm.ts";
import { ecdsaRawToDer } from "./ecdsa-signature.ts";
import { KeyFormatError } from "./errors.ts";
import { algorithmForKey, describeJwk, describePkcs8 } from "./key-type.ts";
import { decodePem, encodePem } from "./pem.ts";
import { publicKeyInfo } from "./public-key.ts";
import type {
  PublicKeyInfo,
  SignatureAlgorithm,
  SignatureEncoding,
  Signer,
  SigningAlgorithm,
  SignOptions,
} from "./signer.ts";

export interface LocalSignerOptions {
  /** Overrides the algorithm paired with the key; only another PS* hash is allowed, for RSA keys. */
  readonly algorithm?: SignatureAlgorithm;
}

/** JWK members that describe usage rather than the key; WebCrypto rejects a JWK whose `alg` disagrees. */
const usageMembers = ["alg", "use", "key_ops", "ext", "kid"] as const;
const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth"] as const;

export class LocalSigner implements Signer {
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly #privateKey: CryptoKey;
  readonly #publicKey: PublicKeyInfo;
  /** The same RSA key imported for RS256 (WebCrypto binds a CryptoKey to one scheme); made on first use. */
  #pkcs1Key: Promise<CryptoKey> | undefined;

  private constructor(privateKey: CryptoKey, publicKey: PublicKeyInfo, algorithm: SignatureAlgorithm) {
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.algorithm = algorithm;
    this.keyId = publicKey.jwk.kid;
  }

  /** A new key pair: ES256 (P-256) unless told otherwise; RSA keys get the modulus Notary pairs with PS*. */
  static async generate(algorithm: SignatureAlgorithm = "ES256"): Promise<LocalSigner> {
    const p = algorithmParameters(algorithm);
    const generated =
      p.kind === "ECDSA"
        ? { name: "ECDSA", namedCurve: p.namedCurve }
        : {
            name: "RSA-PSS",
            hash: p.hash,
            modulusLength: { "SHA-256": 2048, "SHA-384": 3072, "SHA-512": 4096 }[p.hash],
            publicExponent: new Uint8Array([1, 0, 1]),
          };
    const pair = (await crypto.subtle.generateKey(generated, true, ["sign", "verify"])) as CryptoKeyPair;
    return LocalSigner.#fromPrivateKey(pair.privateKey, algorithm);
  }

  /** From PEM text holding one "PRIVATE KEY" (PKCS#8) block. */
  static async fromPem(pem: string, options: LocalSignerOptions = {}): Promise<LocalSigner> {
    const blocks = decodePem(pem);
    const block = blocks.find((b) => b.label === "PRIVATE KEY");
    if (!block) {
      const labels = blocks.map((b) => b.label).join(", ") || "none";
      throw new KeyFormatError(
        `expected a PKCS#8 "PRIVATE KEY" PEM block (found: ${labels}); convert with \`openssl pkcs8 -topk8 -nocrypt\``,
      );
    }
    return LocalSigner.fromPkcs8(block.der, options);
  }

  static async fromPkcs8(der: Uint8Array, options: LocalSignerOptions = {}): Promise<LocalSigner> {
    const algorithm = algorithmForKey(describePkcs8(der), options.algorithm);
    const key = await importPrivate(() =>
      crypto.subtle.importKey("pkcs8", asBufferSource(der), importParameters(algorithm), true, ["sign"]),
    );
    return LocalSigner.#fromPrivateKey(key, algorithm);
  }

  /** From a private JWK; its `alg`, when a JOSE name we support, is honoured like `options.algorithm`. */
  static async fromJwk(jwk: JsonWebKey, options: LocalSignerOptions = {}): Promise<LocalSigner> {
    if (typeof jwk.d !== "string")
      throw new KeyFormatError("JWK has no private member `d`: a public key cannot sign");
    const stated = isSignatureAlgorithm(jwk.alg) ? jwk.alg : undefined;
    const algorithm = algorithmForKey(describeJwk(jwk), options.algorithm ?? stated);
    const bare = withoutMembers(jwk, usageMembers);
    const key = await importPrivate(() =>
      crypto.subtle.importKey("jwk", bare, importParameters(algorithm), true, ["sign"]),
    );
    return LocalSigner.#fromPrivateKey(key, algorithm);
  }

  static async #fromPrivateKey(privateKey: CryptoKey, algorithm: SignatureAlgorithm): Promise<LocalSigner> {
    const jwk = withoutMembers(await crypto.subtle.exportKey("jwk", privateKey), [
      ...privateMembers,
      ...usageMembers,
    ]);
    const publicKey = await crypto.subtle.importKey("jwk", jwk, importParameters(algorithm), true, [
      "verify",
    ]);
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
    return new LocalSigner(privateKey, await publicKeyInfo(spki, algorithm), algorithm);
  }

  async publicKey(): Promise<PublicKeyInfo> {
    return this.#publicKey;
  }

  async sign(data: Uint8Array, encoding: SignatureEncoding, options?: SignOptions): Promise<Uint8Array> {
    const algorithm = signingAlgorithm(this.algorithm, options);
    const key = algorithm === "RS256" ? await this.#rs256Key() : this.#privateKey;
    const signature = new Uint8Array(
      await crypto.subtle.sign(signParameters(algorithm), key, asBufferSource(data)),
    );
    // WebCrypto's ECDSA output is already raw r‖s (WebCrypto §23.4, "ECDSA signature format").
    if (encoding === "der" && algorithmParameters(algorithm).kind === "ECDSA") {
      return ecdsaRawToDer(signature);
    }
    return signature;
  }

  #rs256Key(): Promise<CryptoKey> {
    this.#pkcs1Key ??= reimport(this.#privateKey, "RS256").catch((error: unknown) => {
      this.#pkcs1Key = undefined; // let the next signature try again
      throw error;
    });
    return this.#pkcs1Key;
  }

  /** PKCS#8 PEM ("PRIVATE KEY"), for storing. Contains the private key: never log it. */
  async exportPkcs8Pem(): Promise<string> {
    return encodePem("PRIVATE KEY", new Uint8Array(await crypto.subtle.exportKey("pkcs8", this.#privateKey)));
  }

  /** Private JWK with `kid` (RFC 7638 thumbprint) and `alg`, for storing. Never log it. */
  async exportJwk(): Promise<JsonWebKey & { kid: string; alg: SignatureAlgorithm }> {
    const jwk = withoutMembers(await crypto.subtle.exportKey("jwk", this.#privateKey), ["key_ops", "ext"]);
    return { ...jwk, kid: this.keyId, alg: this.algorithm };
  }
}

/** The same private key under another scheme, non-extractable; the PKCS#8 bytes are wiped after. */
async function reimport(key: CryptoKey, algorithm: SigningAlgorithm): Promise<CryptoKey> {
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  try {
    return await importPrivate(() =>
      crypto.subtle.importKey("pkcs8", pkcs8, importParameters(algorithm), false, ["sign"]),
    );
  } finally {
    pkcs8.fill(0);
  }
}

async function importPrivate(load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  try {
    return await load();
  } catch {
    // No `cause`: WebCrypto errors are generic, and this path handles private key material.
    throw new KeyFormatError("private key does not import (corrupt, or not the key type it claims)");
  }
}

function withoutMembers(jwk: JsonWebKey, members: readonly string[]): JsonWebKey {
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !members.includes(name))) as JsonWebKey;
}
