// A signature this key already wrote. The CLI asks before signing (one signature per key and format),
// and a retried job asks because a registry can apply a write whose answer never reaches us (a reset
// after the PUT, a proxy timeout): without the check the retry would sign again, a second referrer in the
// fallback index or a second layer in the `.sig` tag. Each format answers from the listing or the `.sig`
// manifest alone, so the n-th signer pays what the first did.
import { type FormatName, signatureFormat } from "../formats/index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Repository } from "../oci/remote/repository.ts";
import type { Signer } from "../signing/signer.ts";

export interface OwnSignature {
  /** The referrer manifest (notary, bundle) or the `.sig` manifest (cosign). */
  readonly digest: string;
  readonly artifactType: string;
  /** `org.opencontainers.image.created` of the artifact, when it has one. */
  readonly created?: string;
}

export async function findOwnSignature(options: {
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly format: FormatName;
  readonly signer: Signer;
  /** One listing shared by the formats asked about before any write (see OwnSignatureRequest). */
  readonly referrers?: () => Promise<Descriptor[]>;
}): Promise<OwnSignature | undefined> {
  const { format, ...request } = options;
  const found = await signatureFormat(format).findOwn(request);
  return found === undefined ? undefined : { ...found, artifactType: signatureFormat(format).artifactType };
}
