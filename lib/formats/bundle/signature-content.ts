// @sigstore/verify checks a DSSE signature with Node's default digest for the key, which for every EC
// curve is SHA-256 (OpenSSL's EC default). The Sigstore algorithm registry, cosign and KMS pair P-384
// with SHA-384 and P-521 with SHA-512, so for those keys the same check is made with the key's hash.
// Only the hash changes: the verification itself stays @sigstore/verify's and @sigstore/core's.
import type { crypto as sigstoreCrypto } from "@sigstore/core";
import type { SignedEntity } from "@sigstore/verify";
import type { HashName } from "../../signing/algorithm.ts";
import { preAuthEncoding } from "./statement.ts";
import { asBuffer } from "./trust-material.ts";

const NODE_HASH: Readonly<Record<HashName, string>> = {
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};

export interface DsseEnvelopeContent {
  readonly payloadType: string;
  readonly payload: Uint8Array;
}

export function withDsseHash(
  entity: SignedEntity,
  envelope: DsseEnvelopeContent,
  hash: HashName,
  verify: typeof sigstoreCrypto.verify,
): SignedEntity {
  if (hash === "SHA-256") return entity;
  const content = entity.signature;
  const pae = asBuffer(preAuthEncoding(envelope.payloadType, envelope.payload));
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (signature) => content.compareSignature(signature),
      compareDigest: (digest) => content.compareDigest(digest),
      compareSignedDigest: (digest) => content.compareSignedDigest(digest),
      verifySignature: (key) => verify(pae, key, content.signature, NODE_HASH[hash]),
    },
  };
}
