// The REST reads: "what is attached to this image" and "does it verify", over configured registries.

import type { RegistryDirectory } from "../attach/registries.ts";
import { type VerificationKeys, verifySubject } from "../attach/verify-subject.ts";
import { cosignSignatureTag } from "../formats/cosign/signature-manifest.ts";
import type { FormatName } from "../formats/names.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { RegistryError } from "../oci/errors.ts";
import { MediaType } from "../oci/media-types.ts";
import { parseReference } from "../oci/reference.ts";
import type { Repository } from "../oci/remote/registry.ts";
import type { Store } from "../store/store.ts";
import type { Attachment, VerifyReport } from "./schemas.ts";

export interface OperationsDeps {
  readonly registries: RegistryDirectory;
  readonly store: Store;
  readonly keys: VerificationKeys;
  readonly formats: readonly FormatName[];
}

const FormatByArtifactType: Readonly<Record<string, FormatName>> = {
  [MediaType.NotarySignature]: "notary",
  [MediaType.SigstoreBundle]: "bundle",
};

export function serviceOperations(deps: OperationsDeps) {
  const open = async (ref: string): Promise<{ repository: Repository; subject: Descriptor }> => {
    const reference = parseReference(ref);
    const repository = deps.registries.client(reference.registry).repository(reference.repository);
    const subject = await repository.resolve(reference.manifestReference);
    return { repository, subject };
  };
  return {
    async attachments(ref: string): Promise<Attachment[]> {
      const { repository, subject } = await open(ref);
      const records = await deps.store.listSignatures({
        registry: repository.registry,
        repository: repository.repository,
        digest: subject.digest,
      });
      const keyOf = (digest: string) => records.find((r) => r.signatureDigest === digest)?.keyId;
      const viaApi = await repository.referrersCapability();
      const found: Attachment[] = (await repository.referrers(subject)).map((d) => {
        const format = d.artifactType === undefined ? undefined : FormatByArtifactType[d.artifactType];
        const created = d.annotations?.["org.opencontainers.image.created"];
        const signingKey = keyOf(d.digest);
        return {
          subject: subject.digest,
          digest: d.digest,
          mediaType: d.mediaType,
          artifactType: d.artifactType ?? "",
          ...(format !== undefined && { format }),
          ...(created !== undefined && { created }),
          ...(signingKey !== undefined && { signingKey }),
          foundVia: viaApi ? "referrers-api" : "referrers-tag",
          ...(d.annotations !== undefined && { annotations: { ...d.annotations } }),
        };
      });
      const sig = await cosignManifest(repository, subject.digest);
      if (sig !== undefined) {
        const signingKey = keyOf(sig.digest);
        found.push({
          subject: subject.digest,
          digest: sig.digest,
          mediaType: sig.mediaType,
          artifactType: MediaType.CosignSimpleSigning,
          format: "cosign",
          ...(signingKey !== undefined && { signingKey }),
          foundVia: "cosign-tag",
        });
      }
      return found;
    },

    async verify(ref: string): Promise<VerifyReport> {
      const { repository, subject } = await open(ref);
      const formats = await verifySubject({
        target: repository,
        subject,
        formats: deps.formats,
        keys: deps.keys,
      });
      return {
        reference: ref,
        digest: subject.digest,
        verified: formats.every((f) => f.verified),
        formats: formats.map((f) => ({ ...f, signatures: [...f.signatures] })),
      };
    },
  };
}

async function cosignManifest(
  repository: Repository,
  subjectDigest: string,
): Promise<Descriptor | undefined> {
  try {
    return await repository.resolve(cosignSignatureTag(subjectDigest));
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}
