// `countersign/verification`: what is attached to an image, and whether it verifies, for programs that
// embed Countersign. Web standards only, like all of lib/: the same import runs on Node, workerd and Lambda.
export {
  type FormatReport,
  type SignatureCheck,
  type VerifyOptions,
  verifySubject,
} from "../attach/verify-subject.ts";
export type { SignatureVerdict, VerificationMaterial } from "../formats/format.ts";
export {
  type FormatName,
  FormatNames,
  formatOf,
  isFormatName,
  signatureFormat,
  signatureFormats,
} from "../formats/index.ts";
export { PublicKeyError, type PublicKeyInput, parsePublicKey } from "../formats/public-key.ts";
export { parseCertificateChain } from "../signing/certificate.ts";
