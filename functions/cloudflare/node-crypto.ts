// What a bare `crypto` import (@sigstore/core's `require("crypto")`) resolves to in the Worker bundle
// (wrangler.toml [alias]): workerd's node:crypto, except that `verify` with no algorithm gets the one
// Node would use. @sigstore/verify checks DSSE signatures with `crypto.verify(undefined, …)`, which on
// Node means the key's default digest (OpenSSL 3: SHA-256 for EC keys of every curve and for RSA
// keys), while workerd fails with "Failed to initialize verification context".
import nodeCrypto, {
  type KeyObject,
  type VerifyKeyObjectInput,
  type VerifyPublicKeyInput,
} from "node:crypto";

export * from "node:crypto";

type VerifyKey = Parameters<typeof nodeCrypto.verify>[2];

export function verify(
  algorithm: string | null | undefined,
  data: NodeJS.ArrayBufferView,
  key: VerifyKey,
  signature: NodeJS.ArrayBufferView,
): boolean {
  return nodeCrypto.verify(algorithm ?? defaultDigest(key), data, key, signature);
}

function defaultDigest(key: VerifyKey): string | null {
  const object = keyObject(key);
  const type = object?.asymmetricKeyType;
  return type === "ec" || type === "rsa" ? "sha256" : null;
}

function keyObject(key: VerifyKey): KeyObject | undefined {
  if (key instanceof nodeCrypto.KeyObject) return key;
  const input = key as VerifyKeyObjectInput | VerifyPublicKeyInput;
  if (
    typeof input === "object" &&
    input !== null &&
    "key" in input &&
    input.key instanceof nodeCrypto.KeyObject
  )
    return input.key;
  return undefined;
}

export default { ...nodeCrypto, verify };
