// The attach job (DESIGN.md data flow): resolve the digest, classify, then for each subject and format
// claim the idempotency record, sign, write to the registry and record the outcome.
import type { RegistryProfile } from "../artifacts/profiles.ts";
import type { FormatName } from "../config/formats.ts";
import type { Descriptor, ImageIndex, Manifest } from "../oci/descriptor.ts";
import { isIndexMediaType } from "../oci/media-types.ts";
import type { RegistryClient, Repository } from "../oci/registry.ts";
import type { SubjectLock } from "../oci/subject-lock.ts";
import type { Signer } from "../signing/signer.ts";
import type { FormatOutcome, FormatOutcomes, SignatureKey, Store } from "../store/store.ts";
import type { AttachJob, AttachJobResult } from "./attach-job.ts";
import { type Backoff, describeFailure, isTransient, retryDelayMs, SignatureBusyError } from "./failure.ts";
import { isSignatureArtifact } from "./policy.ts";
import { signSubject } from "./sign-subject.ts";

export interface AttachDeps {
  readonly store: Store;
  /** The client of a configured registry host (intake has refused every other host already). */
  readonly registry: (host: string) => RegistryClient;
  readonly profile: (host: string) => RegistryProfile;
  readonly signer: Signer;
  /** DER, leaf first: the Notary certificate chain of `signer`'s key. */
  readonly certificateChain: readonly Uint8Array[];
  /** Serializes `.sig` and fallback-index updates per subject (the registry clients use the same lock). */
  readonly lock: SubjectLock;
  readonly formats: readonly FormatName[];
  readonly signIndexChildren: boolean;
  /** After this many attempts a transient failure is given up as a dead letter. Default 5. */
  readonly maxAttempts?: number;
  readonly backoff?: Backoff;
  /** How long a signature claim is held before another worker may take it over. Default 5 min. */
  readonly claimLeaseMs?: number;
  readonly now?: () => Date;
  /** Called once per signature written (metrics). */
  readonly onSigned?: (format: FormatName, subject: Descriptor) => void;
}

interface Subject {
  readonly descriptor: Descriptor;
}

/** Runs one delivery of `job`; `attempt` counts from 1. Never throws: the result tells the queue what to do. */
export async function runAttachJob(job: AttachJob, deps: AttachDeps, attempt = 1): Promise<AttachJobResult> {
  const now = deps.now ?? (() => new Date());
  const { store } = deps;
  await store.updateJob(job.jobId, { status: "running", attempts: attempt, startedAt: now().toISOString() });
  try {
    const outcomes = await attach(job, deps);
    await store.updateJob(job.jobId, {
      status: "succeeded",
      outcomes,
      lastError: null,
      finishedAt: now().toISOString(),
    });
    return { kind: "done" };
  } catch (error) {
    const cause = error instanceof FormatFailures ? error.first : error;
    const outcomes = error instanceof FormatFailures ? error.outcomes : undefined;
    const retry = isTransient(cause) && attempt < (deps.maxAttempts ?? 5);
    await store.updateJob(job.jobId, {
      status: retry ? "failed" : "dead",
      lastError: describeFailure(cause),
      ...(outcomes !== undefined && { outcomes }),
      ...(!retry && { finishedAt: now().toISOString() }),
    });
    return retry ? { kind: "retry", delayMs: retryDelayMs(attempt, deps.backoff) } : { kind: "done" };
  }
}

async function attach(job: AttachJob, deps: AttachDeps): Promise<FormatOutcomes> {
  const { request } = job;
  const repository = deps.registry(request.registry).repository(request.repository);
  // Sign a digest, never a tag: a tag is resolved once, and the bytes are hashed by the client.
  const fetched = await repository.fetchManifest(request.digest ?? request.reference);
  if (request.digest === undefined)
    await deps.store.updateJob(job.jobId, { digest: fetched.descriptor.digest });
  const manifest = JSON.parse(new TextDecoder().decode(fetched.bytes)) as Manifest;
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const formats = job.formats ?? deps.formats;
  if (isSignatureArtifact(manifest)) {
    const skipped: FormatOutcome = { status: "skipped", detail: "a signature or attestation artifact", at };
    return Object.fromEntries(formats.map((f) => [f, skipped]));
  }
  const subjects: Subject[] = [{ descriptor: fetched.descriptor }];
  if (isIndexMediaType(fetched.descriptor.mediaType) && (job.recursive ?? deps.signIndexChildren)) {
    subjects.push(...indexChildren(manifest as ImageIndex));
  }
  const outcomes: Partial<Record<FormatName, FormatOutcome>> = {};
  let firstError: unknown;
  for (const format of formats) {
    const result = await signEverySubject(job, deps, repository, subjects, format);
    outcomes[format] = result.outcome;
    firstError ??= result.error;
  }
  if (firstError !== undefined) throw new FormatFailures(outcomes, firstError);
  return outcomes;
}

/** The platform manifests of an index; buildx attestation manifests are not images and are skipped. */
function indexChildren(index: ImageIndex): Subject[] {
  return index.manifests
    .filter((d) => d.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest")
    .map((d) => ({ descriptor: { mediaType: d.mediaType, digest: d.digest, size: d.size } }));
}

async function signEverySubject(
  job: AttachJob,
  deps: AttachDeps,
  repository: Repository,
  subjects: readonly Subject[],
  format: FormatName,
): Promise<{ outcome: FormatOutcome; error?: unknown }> {
  const at = () => (deps.now ?? (() => new Date()))().toISOString();
  let signed = 0;
  let last: string | undefined;
  try {
    for (const subject of subjects) {
      const result = await signOnce(job, deps, repository, subject.descriptor, format);
      if (result.signed) signed++;
      if (subject === subjects[0]) last = result.signatureDigest;
    }
  } catch (error) {
    return { outcome: { status: "failed", detail: describeFailure(error), at: at() }, error };
  }
  const outcome: FormatOutcome = {
    status: signed > 0 ? "signed" : "existing",
    ...(last !== undefined && { signatureDigest: last }),
    ...(subjects.length > 1 && { detail: `${subjects.length} manifests (index and children)` }),
    at: at(),
  };
  return { outcome };
}

async function signOnce(
  job: AttachJob,
  deps: AttachDeps,
  repository: Repository,
  subject: Descriptor,
  format: FormatName,
): Promise<{ signed: boolean; signatureDigest: string }> {
  const { store, signer } = deps;
  const key: SignatureKey = {
    registry: job.request.registry,
    repository: job.request.repository,
    digest: subject.digest,
    format,
    keyId: signer.keyId,
  };
  const claim = await store.claimSignature(key, job.jobId, deps.claimLeaseMs ?? 300_000);
  if (claim === "busy")
    throw new SignatureBusyError(`${format} signature of ${subject.digest} is being written`);
  if (claim === "done") {
    const record = await store.getSignature(key);
    return { signed: false, signatureDigest: record?.signatureDigest ?? "" };
  }
  try {
    const created = (deps.now ?? (() => new Date()))();
    const written = await signSubject({ ...deps, repository, subject, format, created });
    const record = await store.completeSignature(key, {
      signatureDigest: written.digest,
      artifactType: written.artifactType,
      createdAt: created.toISOString(),
    });
    if (written.written) deps.onSigned?.(format, subject);
    return { signed: written.written, signatureDigest: record.signatureDigest };
  } catch (error) {
    await store.releaseSignature(key, job.jobId).catch(() => false);
    throw error;
  }
}

/** Carries per-format outcomes when at least one format failed; `first` decides retry or dead letter. */
class FormatFailures extends Error {
  readonly outcomes: FormatOutcomes;
  readonly first: unknown;
  constructor(outcomes: FormatOutcomes, first: unknown) {
    super(describeFailure(first));
    this.outcomes = outcomes;
    this.first = first;
  }
}
