// The emulated KMS operations: JSON request in, JSON response out, shapes as in the KMS API reference.
// Blobs travel as base64 strings and timestamps as epoch seconds (AWS JSON 1.1 protocol).
import { KmsServiceError, validation } from "./errors.ts";
import {
  type EmulatedKey,
  type KmsKeySpec,
  type KmsKeyStore,
  type KmsKeyUsage,
  signingAlgorithms,
} from "./key-store.ts";
import { kmsSign, kmsVerify, type MessageType } from "./signature.ts";

export type KmsRequest = Readonly<Record<string, unknown>>;
export type KmsOperation = (store: KmsKeyStore, request: KmsRequest) => Promise<object>;

const specs: readonly KmsKeySpec[] = [
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "SYMMETRIC_DEFAULT",
];

export const operations: Readonly<Record<string, KmsOperation>> = {
  async CreateKey(store, request) {
    const spec = (request.KeySpec ?? request.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT") as KmsKeySpec;
    if (!specs.includes(spec)) throw validation(`KeySpec ${String(spec)} is not supported by this emulator`);
    const usage = (request.KeyUsage ?? "ENCRYPT_DECRYPT") as KmsKeyUsage;
    const key = await store.createKey(
      spec,
      usage,
      typeof request.Description === "string" ? request.Description : "",
    );
    return { KeyMetadata: metadata(key) };
  },

  async DescribeKey(store, request) {
    return { KeyMetadata: metadata(store.resolve(keyIdOf(request))) };
  },

  async GetPublicKey(store, request) {
    const key = store.resolve(keyIdOf(request));
    if (!key.publicKey) {
      throw new KmsServiceError(
        "UnsupportedOperationException",
        `${key.arn} key usage is not valid for GetPublicKey.`,
      );
    }
    return {
      KeyId: key.arn,
      PublicKey: key.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
      KeySpec: key.spec,
      CustomerMasterKeySpec: key.spec,
      KeyUsage: key.usage,
      ...usageAlgorithms(key),
    };
  },

  async Sign(store, request) {
    const key = store.resolve(keyIdOf(request));
    const signature = await kmsSign({
      key,
      algorithm: stringOf(request.SigningAlgorithm),
      message: blobOf(request.Message, "message"),
      messageType: messageTypeOf(request),
    });
    return {
      KeyId: key.arn,
      Signature: signature.toString("base64"),
      SigningAlgorithm: request.SigningAlgorithm,
    };
  },

  async Verify(store, request) {
    const key = store.resolve(keyIdOf(request));
    const valid = await kmsVerify({
      key,
      algorithm: stringOf(request.SigningAlgorithm),
      message: blobOf(request.Message, "message"),
      messageType: messageTypeOf(request),
      signature: blobOf(request.Signature, "signature"),
    });
    if (!valid) throw new KmsServiceError("KMSInvalidSignatureException", "");
    return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: request.SigningAlgorithm };
  },

  async CreateAlias(store, request) {
    store.createAlias(stringOf(request.AliasName) ?? "", stringOf(request.TargetKeyId) ?? "");
    return {};
  },

  async ListAliases(store, request) {
    const aliases = store.aliases(stringOf(request.KeyId)).map((alias) => ({
      AliasName: alias.name,
      AliasArn: alias.arn,
      TargetKeyId: alias.targetKeyId,
      CreationDate: alias.created.getTime() / 1000,
    }));
    return { Aliases: aliases, Truncated: false };
  },
};

function metadata(key: EmulatedKey): object {
  const account = key.arn.split(":")[4];
  return {
    AWSAccountId: account,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.created.getTime() / 1000,
    Enabled: true,
    Description: key.description,
    KeyUsage: key.usage,
    KeyState: "Enabled",
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: key.spec,
    KeySpec: key.spec,
    MultiRegion: false,
    ...usageAlgorithms(key),
  };
}

function usageAlgorithms(key: EmulatedKey): object {
  if (key.usage === "SIGN_VERIFY") return { SigningAlgorithms: signingAlgorithms(key.spec) };
  if (key.spec === "SYMMETRIC_DEFAULT") return { EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"] };
  return { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] };
}

function keyIdOf(request: KmsRequest): string | undefined {
  return stringOf(request.KeyId);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function blobOf(value: unknown, member: string): Buffer {
  if (typeof value !== "string") {
    throw validation(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return Buffer.from(value, "base64");
}

function messageTypeOf(request: KmsRequest): MessageType {
  const type = request.MessageType ?? "RAW";
  if (type !== "RAW" && type !== "DIGEST")
    throw validation(`MessageType ${String(type)} is not RAW or DIGEST`);
  return type;
}
