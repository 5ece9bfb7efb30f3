// "What is attached to this image, and does it verify?": each requested format finds its signatures
// of a subject in any Target (registry or OCI layout) and judges them with the given material.
import type { SignatureVerdict, VerificationMaterial } from "../formats/format.ts";
import { type FormatName, signatureFormat } from "../formats/index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Target } from "../oci/target.ts";

/** One signature found, and the verifier's verdict on it. */
export interface SignatureCheck extends SignatureVerdict {
  readonly format: FormatName;
}

export interface FormatReport {
  readonly format: FormatName;
  /** At least one attached signature of this format verifies. */
  readonly verified: boolean;
  readonly signatures: readonly SignatureCheck[];
}

export interface VerifyOptions {
  readonly target: Target;
  readonly subject: Descriptor;
  readonly formats: readonly FormatName[];
  readonly material: VerificationMaterial;
  /** `<registry>/<repository>`: the scope a notation trust policy statement is chosen by. */
  readonly scope?: string;
  readonly now?: Date;
}

export async function verifySubject(options: VerifyOptions): Promise<FormatReport[]> {
  const { formats, ...request } = options;
  const reports: FormatReport[] = [];
  for (const format of formats) {
    const verdicts = await signatureFormat(format).verify(request);
    const signatures = verdicts.map((verdict) => ({ format, ...verdict }));
    reports.push({ format, verified: signatures.some((s) => s.ok), signatures });
  }
  return reports;
}
