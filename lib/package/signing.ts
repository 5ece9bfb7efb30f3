// `countersign/signing`: signers (a local key, an AWS KMS key), Notary certificates, and signing an image
// in one format exactly as the service does, for programs that embed Countersign.

export { profileFor, profileNamed, type RegistryProfile } from "../artifacts/profiles.ts";
export { type SignSubjectOptions, signSubject } from "../attach/sign-subject.ts";
export type { WrittenSignature } from "../formats/format.ts";
export { InProcessSubjectLock, type SubjectLock } from "../oci/subject-lock.ts";
export {
  certificatePem,
  createNotaryCertificate,
  type NotaryCertificateOptions,
} from "../signing/certificate.ts";
export { KeyFormatError, SigningError, UnsupportedKeyError } from "../signing/errors.ts";
export { KmsSigner, type KmsSignerOptions } from "../signing/kms.ts";
export { LocalSigner, type LocalSignerOptions } from "../signing/local.ts";
export type { PublicKeyInfo, SignatureAlgorithm, Signer } from "../signing/signer.ts";
