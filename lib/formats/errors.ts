// Errors raised while *building* a signature: the caller handed us something no verifier would accept.

export class SignatureBuildError extends Error {
  override readonly name = "SignatureBuildError";
}
