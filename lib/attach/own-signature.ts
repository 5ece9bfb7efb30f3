// A signature this key already wrote but never recorded. A registry can apply a write whose answer
// never reaches us (a reset after the PUT, a proxy timeout); the attempt then fails, its claim is
// released, and without this check the retry would sign again: a second referrer in the fallback
// index, a second layer in the `.sig` tag (ECDSA signatures differ every time, so the bytes never match).
import { type FormatName, signatureFormat } from "../formats/index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Target } from "../oci/target.ts";
import type { Signer } from "../signing/signer.ts";
import { verifySubject } from "./verify-subject.ts";

export interface OwnSignature {
  /** The referrer manifest (notary, bundle) or the `.sig` manifest (cosign). */
  readonly digest: string;
  readonly artifactType: string;
  /** `org.opencontainers.image.created` of the artifact, when it has one. */
  readonly created?: string;
}

/**
 * The first `format` signature of `subject` that verifies with `signer`'s own key. Notary's trust
 * store is our leaf certificate alone, so a signature by another key under the same CA is not ours.
 */
export async function findOwnSignature(options: {
  readonly target: Target;
  readonly subject: Descriptor;
  readonly format: FormatName;
  readonly signer: Signer;
  readonly certificateChain: readonly Uint8Array[];
}): Promise<OwnSignature | undefined> {
  const { target, subject, format, signer, certificateChain } = options;
  const leaf = certificateChain[0];
  const [report] = await verifySubject({
    target,
    subject,
    formats: [format],
    material: { publicKeys: [(await signer.publicKey()).spki], trustStore: leaf === undefined ? [] : [leaf] },
  });
  const found = report?.signatures.find((s) => s.ok);
  if (found === undefined) return undefined;
  return {
    digest: found.digest,
    artifactType: signatureFormat(format).artifactType,
    ...(found.created !== undefined && { created: found.created }),
  };
}
