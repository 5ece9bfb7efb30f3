// Re-labels an rsaEncryption SubjectPublicKeyInfo as id-RSASSA-PSS with explicit parameters
// (RFC 4055 §3.1, §1.2): the same key, restricted to PSS with one hash, MGF1 and salt length.
import { id_mgf1, id_RSASSA_PSS, RsaSaPssParams, sha256, sha384, sha512 } from "@peculiar/asn1-rsa";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import type { HashName } from "../algorithms.ts";

const HASHES = { "SHA-256": sha256, "SHA-384": sha384, "SHA-512": sha512 } as const;

export function rsaPssSpki(rsaSpki: Uint8Array, hash: HashName, saltLength: number): Uint8Array<ArrayBuffer> {
  const info = AsnConvert.parse(rsaSpki, SubjectPublicKeyInfo);
  const hashAlgorithm = HASHES[hash];
  const params = new RsaSaPssParams({
    hashAlgorithm,
    maskGenAlgorithm: new AlgorithmIdentifier({
      algorithm: id_mgf1,
      parameters: AsnConvert.serialize(hashAlgorithm),
    }),
    saltLength,
  });
  const relabelled = new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({
      algorithm: id_RSASSA_PSS,
      parameters: AsnConvert.serialize(params),
    }),
    subjectPublicKey: info.subjectPublicKey,
  });
  return new Uint8Array(AsnConvert.serialize(relabelled));
}
