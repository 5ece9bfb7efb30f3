// One signature of one subject in one format: build it with the format module, write it with the
// signature writer. The only place that knows which format goes down which path.
import type { RegistryProfile } from "../artifacts/profiles.ts";
import { buildSigstoreBundle } from "../formats/bundle/build.ts";
import { buildCosignSignature } from "../formats/cosign/build.ts";
import type { FormatName } from "../formats/names.ts";
import { buildNotarySignature } from "../formats/notary/build.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import type { Repository } from "../oci/remote/registry.ts";
import type { SubjectLock } from "../oci/subject-lock.ts";
import type { Signer } from "../signing/signer.ts";
import { type WrittenSignature, writeCosignSignature, writeReferrer } from "./signature-writer.ts";

export interface SignSubjectOptions {
  readonly repository: Repository;
  readonly subject: Descriptor;
  readonly format: FormatName;
  readonly signer: Signer;
  readonly certificateChain: readonly Uint8Array[];
  readonly profile: (host: string) => RegistryProfile;
  readonly lock: SubjectLock;
  /** The signing time; `org.opencontainers.image.created` of the artifact. */
  readonly created: Date;
}

export async function signSubject(options: SignSubjectOptions): Promise<WrittenSignature> {
  const { repository, subject, signer, lock } = options;
  // Whole seconds: Notary's signingTime and the created annotation carry no fractions (DESIGN.md).
  const created = new Date(Math.floor(options.created.getTime() / 1000) * 1000);
  const profile = options.profile(repository.registry);
  switch (options.format) {
    case "notary": {
      const artifact = await buildNotarySignature({
        subject,
        signer,
        certificateChain: options.certificateChain,
        signingTime: created,
      });
      return writeReferrer({ repository, subject, artifact, profile, created });
    }
    case "bundle": {
      const artifact = await buildSigstoreBundle({ subject, signer, created });
      return writeReferrer({ repository, subject, artifact, profile, created });
    }
    case "cosign": {
      const signature = await buildCosignSignature({
        dockerReference: repository.name,
        subjectDigest: subject.digest,
        signer,
      });
      return writeCosignSignature({ repository, subject, signature, lock });
    }
  }
}
