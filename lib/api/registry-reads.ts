// The REST reads: "what is attached to this image" and "does it verify", over configured registries.
// Each read has a deadline (its registry requests are aborted then, and on shutdown), and an image
// the registry does not have is a 404, not a registry failure.
import type { RegistryDirectory } from "../attach/registries.ts";
import { verifySubject } from "../attach/verify-subject.ts";
import type { VerificationMaterial } from "../formats/format.ts";
import { type FormatName, formatOf, signatureFormats } from "../formats/index.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { RegistryError } from "../oci/errors.ts";
import type { Reference } from "../oci/reference.ts";
import type { Repository } from "../oci/remote/repository.ts";
import type { Store } from "../store/store.ts";
import type { Attachment, VerifyReport } from "./schemas.ts";

/** The registry reads behind the REST API, injected into the app (tests record calls instead). */
export interface ApiOperations {
  /** Everything attached to the image `reference` names (referrers API, fallback tag, signature tags). */
  attachments(reference: Reference): Promise<Attachment[]>;
  /** Which formats verify for the image `reference` names, with the configured material. */
  verify(reference: Reference): Promise<Omit<VerifyReport, "reference">>;
}

export interface OperationsDeps {
  readonly registries: RegistryDirectory;
  readonly store: Store;
  readonly material: VerificationMaterial;
  readonly formats: readonly FormatName[];
  /** How long one read may take, its registry requests included. Default 60 s. */
  readonly readTimeoutMs?: number;
  /** Aborted when the service shuts down: reads still running are cut short. */
  readonly signal?: AbortSignal;
}

/** The registry does not have the image a read names (distribution-spec: 404 MANIFEST_UNKNOWN). */
export class ImageNotFoundError extends Error {
  override readonly name = "ImageNotFoundError";
  constructor(reference: Reference, options?: ErrorOptions) {
    super(`${reference.toString()} is not in the registry`, options);
  }
}

/** A read that passed its deadline: the registry was too slow (or silent). */
export class ReadDeadlineError extends Error {
  override readonly name = "ReadDeadlineError";
}

const DEFAULT_READ_TIMEOUT_MS = 60_000;

export function serviceOperations(deps: OperationsDeps): ApiOperations {
  const timeoutMs = deps.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  /** Runs `read` on the reference's repository and subject, within the read's deadline. */
  const withSubject = async <T>(
    reference: Reference,
    read: (repository: Repository, subject: Descriptor) => Promise<T>,
  ): Promise<T> => {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new ReadDeadlineError(`the registry did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const signal =
      deps.signal === undefined ? controller.signal : AbortSignal.any([deps.signal, controller.signal]);
    try {
      const repository = deps.registries
        .client(reference.registry)
        .repository(reference.repository, { signal });
      let subject: Descriptor;
      try {
        subject = await repository.resolve(reference.manifestReference);
      } catch (error) {
        if (error instanceof RegistryError && error.status === 404)
          throw new ImageNotFoundError(reference, { cause: error });
        throw error;
      }
      return await read(repository, subject);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    attachments(reference) {
      return withSubject(reference, (repository, subject) =>
        listAttachments(repository, subject, deps.store),
      );
    },

    verify(reference) {
      return withSubject(reference, (repository, subject) =>
        verifyReport(deps, reference, repository, subject),
      );
    },
  };
}

async function verifyReport(
  deps: OperationsDeps,
  reference: Reference,
  repository: Repository,
  subject: Descriptor,
): Promise<Omit<VerifyReport, "reference">> {
  const formats = await verifySubject({
    target: repository,
    subject,
    formats: deps.formats,
    material: deps.material,
    // A notation trust policy's registryScopes name <registry>/<repository>.
    scope: `${reference.registry}/${reference.repository}`,
  });
  return {
    digest: subject.digest,
    verified: formats.every((f) => f.verified),
    formats: formats.map((f) => ({ ...f, signatures: [...f.signatures] })),
  };
}

/** Referrers (through the API or the tag-schema index), then each tag-kept format's tag. */
async function listAttachments(
  repository: Repository,
  subject: Descriptor,
  store: Store,
): Promise<Attachment[]> {
  const records = await store.listSignatures({
    registry: repository.registry,
    repository: repository.repository,
    digest: subject.digest,
  });
  const keyOf = (digest: string) => records.find((r) => r.signatureDigest === digest)?.keyId;
  const viaApi = await repository.referrersCapability();
  const found: Attachment[] = (await repository.referrers(subject)).map((d) => {
    const format = formatOf(d);
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
  for (const format of signatureFormats) {
    if (format.signatureTag === undefined) continue;
    const tagged = await resolveIfPresent(repository, format.signatureTag(subject.digest));
    if (tagged === undefined) continue;
    const signingKey = keyOf(tagged.digest);
    found.push({
      subject: subject.digest,
      digest: tagged.digest,
      mediaType: tagged.mediaType,
      artifactType: format.artifactType,
      format: format.name,
      ...(signingKey !== undefined && { signingKey }),
      foundVia: `${format.name}-tag`,
    });
  }
  return found;
}

async function resolveIfPresent(repository: Repository, tag: string): Promise<Descriptor | undefined> {
  try {
    return await repository.resolve(tag);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return undefined;
    throw error;
  }
}
