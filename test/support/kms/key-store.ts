// The emulator's keys and aliases, with KMS's key identifier resolution: a key id, key ARN, alias
// name (`alias/x`) or alias ARN is accepted wherever a `KeyId` is (KMS API reference, "KeyId").
import { generateKeyPair, type KeyObject, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { KmsServiceError, notFound, validation } from "./errors.ts";

const generate = promisify(generateKeyPair);

export type KmsKeySpec =
  | "ECC_NIST_P256"
  | "ECC_NIST_P384"
  | "ECC_NIST_P521"
  | "ECC_SECG_P256K1"
  | "RSA_2048"
  | "RSA_3072"
  | "RSA_4096"
  | "SYMMETRIC_DEFAULT";

export type KmsKeyUsage = "SIGN_VERIFY" | "ENCRYPT_DECRYPT";

export interface EmulatedKey {
  readonly keyId: string;
  readonly arn: string;
  readonly spec: KmsKeySpec;
  readonly usage: KmsKeyUsage;
  readonly description: string;
  readonly created: Date;
  /** Absent for SYMMETRIC_DEFAULT: it has no public half, and the emulator never encrypts. */
  readonly privateKey?: KeyObject;
  readonly publicKey?: KeyObject;
}

export interface EmulatedAlias {
  readonly name: string;
  readonly arn: string;
  readonly targetKeyId: string;
  readonly created: Date;
}

const curves: Partial<Record<KmsKeySpec, string>> = {
  ECC_NIST_P256: "P-256",
  ECC_NIST_P384: "P-384",
  ECC_NIST_P521: "P-521",
  ECC_SECG_P256K1: "secp256k1",
};

export function signingAlgorithms(spec: KmsKeySpec): string[] {
  switch (spec) {
    case "ECC_NIST_P256":
    case "ECC_SECG_P256K1":
      return ["ECDSA_SHA_256"];
    case "ECC_NIST_P384":
      return ["ECDSA_SHA_384"];
    case "ECC_NIST_P521":
      return ["ECDSA_SHA_512"];
    case "SYMMETRIC_DEFAULT":
      return [];
    default:
      return ["256", "384", "512"].flatMap((bits) => [
        `RSASSA_PSS_SHA_${bits}`,
        `RSASSA_PKCS1_V1_5_SHA_${bits}`,
      ]);
  }
}

export class KmsKeyStore {
  readonly #keys = new Map<string, EmulatedKey>();
  readonly #aliases = new Map<string, EmulatedAlias>();
  readonly #arnPrefix: string;

  constructor(region: string, accountId: string) {
    this.#arnPrefix = `arn:aws:kms:${region}:${accountId}:`;
  }

  async createKey(spec: KmsKeySpec, usage: KmsKeyUsage, description = ""): Promise<EmulatedKey> {
    const allowed = spec === "SYMMETRIC_DEFAULT" || spec.startsWith("RSA_") ? usage : "SIGN_VERIFY";
    if (allowed !== usage || (spec === "SYMMETRIC_DEFAULT" && usage !== "ENCRYPT_DECRYPT")) {
      throw validation(`KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
    }
    const keyId = randomUUID();
    const pair = await keyPair(spec);
    const key: EmulatedKey = {
      keyId,
      arn: `${this.#arnPrefix}key/${keyId}`,
      spec,
      usage,
      description,
      created: new Date(),
      ...pair,
    };
    this.#keys.set(keyId, key);
    return key;
  }

  createAlias(name: string, target: string): EmulatedAlias {
    if (!/^alias\/[A-Za-z0-9/_-]+$/.test(name) || name.startsWith("alias/aws/")) {
      throw validation(
        `Alias must start with the prefix "alias/" and must not begin with "alias/aws/": ${name}`,
      );
    }
    if (this.#aliases.has(name)) {
      throw new KmsServiceError(
        "AlreadyExistsException",
        `An alias with the name ${this.#arnPrefix}${name} already exists`,
      );
    }
    if (target.startsWith("alias/") || target.includes(":alias/")) {
      throw validation("TargetKeyId must be a key id or key ARN, not an alias");
    }
    const key = this.resolve(target);
    const alias = { name, arn: `${this.#arnPrefix}${name}`, targetKeyId: key.keyId, created: new Date() };
    this.#aliases.set(name, alias);
    return alias;
  }

  aliases(keyId?: string): EmulatedAlias[] {
    const target = keyId === undefined ? undefined : this.resolve(keyId).keyId;
    return [...this.#aliases.values()].filter((a) => target === undefined || a.targetKeyId === target);
  }

  /** Finds the key behind any of the four identifier forms, or throws KMS's NotFoundException. */
  resolve(identifier: string | undefined): EmulatedKey {
    if (!identifier)
      throw validation(
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
      );
    const aliasName = identifier.startsWith("alias/")
      ? identifier
      : identifier.startsWith(`${this.#arnPrefix}alias/`)
        ? identifier.slice(this.#arnPrefix.length)
        : undefined;
    if (aliasName !== undefined) {
      const alias = this.#aliases.get(aliasName);
      if (!alias) throw notFound(`Alias ${this.#arnPrefix}${aliasName} is not found.`);
      return this.#keys.get(alias.targetKeyId) as EmulatedKey;
    }
    const keyId = identifier.startsWith(`${this.#arnPrefix}key/`)
      ? identifier.slice(this.#arnPrefix.length + 4)
      : identifier;
    const key = this.#keys.get(keyId);
    if (!key) throw notFound(`Key '${this.#arnPrefix}key/${keyId}' does not exist`);
    return key;
  }
}

async function keyPair(spec: KmsKeySpec): Promise<{ privateKey?: KeyObject; publicKey?: KeyObject }> {
  const curve = curves[spec];
  if (curve) return generate("ec", { namedCurve: curve });
  if (spec.startsWith("RSA_")) return generate("rsa", { modulusLength: Number(spec.slice(4)) });
  return {};
}
