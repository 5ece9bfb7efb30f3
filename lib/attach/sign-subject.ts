// One signature of one subject in one format: the format module builds it and attaches it; what is
// decided here is what every format shares (the registry's profile, the signing time's precision).
import type { RegistryProfile } from "../artifacts/profiles.ts";
import type { SignRequest, WrittenSignature } from "../formats/format.ts";
import { type FormatName, signatureFormat } from "../formats/index.ts";

export interface SignSubjectOptions extends Omit<SignRequest, "profile"> {
  readonly format: FormatName;
  readonly profile: (host: string) => RegistryProfile;
}

export function signSubject(options: SignSubjectOptions): Promise<WrittenSignature> {
  const { format, profile, ...request } = options;
  return signatureFormat(format).sign({
    ...request,
    profile: profile(request.repository.registry),
    // Whole seconds: Notary's signingTime and the created annotation carry no fractions (DESIGN.md).
    created: new Date(Math.floor(options.created.getTime() / 1000) * 1000),
  });
}
