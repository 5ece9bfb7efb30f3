// The attach job (DESIGN.md data flow): resolve the digest, classify, then for each subject and format
// claim the idempotency record, sign, write to the registry and record the outcome. Every attempt has
// a deadline: its registry requests are aborted then (or when the runtime shuts down), and the attempt
// ends as a transient failure that the queue retries after its backoff.
import type { RegistryProfile } from "../artifacts/profiles.ts";
import { type FormatName, signatureFormat } from "../formats/index.ts";
import { isSignatureArtifact } from "../formats/signature-artifact.ts";
import type { Timestamper } from "../formats/timestamp/client.ts";
import type { Descriptor, ImageIndex } from "../oci/descriptor.ts";
import { isImageIndex } from "../oci/manifest-schema.ts";
import type { RegistryClient } from "../oci/remote/registry.ts";
import type { Repository } from "../oci/remote/repository.ts";
import type { SubjectLock } from "../oci/subject-lock.ts";
import type { Signer } from "../signing/signer.ts";
import { JobNotFoundError } from "../store/errors.ts";
import type { FormatOutcome, FormatOutcomes, SignatureKey, SignatureResult, Store } from "../store/store.ts";
import type { AttachJob, AttachJobResult } from "./attach-job.ts";
import {
  AttemptAbortedError,
  type Backoff,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  describeFailure,
  gaveUp,
  isTransient,
  retryDelayMs,
  SignatureBusyError,
} from "./failure.ts";
import { DEFAULT_MAX_INDEX_CHILDREN, indexChildren } from "./index-children.ts";
import { findOwnSignature } from "./own-signature.ts";
import { recallRegistryFacts, rememberRegistryFacts } from "./registry-facts.ts";
import { signSubject } from "./sign-subject.ts";

export interface AttachDeps {
  readonly store: Store;
  /** The client of a configured registry host (intake has refused every other host already). */
  readonly registry: (host: string) => RegistryClient;
  readonly profile: (host: string) => RegistryProfile;
  readonly signer: Signer;
  /** DER, leaf first: the Notary certificate chain of `signer`'s key. */
  readonly certificateChain: readonly Uint8Array[];
  /** RFC 3161 timestamps for every signature written, when configured (`timestamp` section). */
  readonly timestamper?: Timestamper;
  /** Serializes `.sig` and fallback-index updates per subject (the registry clients use the same lock). */
  readonly lock: SubjectLock;
  readonly formats: readonly FormatName[];
  readonly signIndexChildren: boolean;
  /** Most children signed per index; an index with more gets its own signature only. Default 64. */
  readonly maxIndexChildren?: number;
  /** Deadline of one attempt; its registry requests are aborted then. Default 90 s. */
  readonly attemptTimeoutMs?: number;
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

export interface RunOptions {
  /** Aborted by the runtime when it shuts down: the attempt ends, the job resumes at the next start. */
  readonly signal?: AbortSignal;
  /**
   * Wraps a stretch where the job only waits (the read-back of shared tags, some hundreds of ms), so
   * that the runtime's queue can run another job in its slot meanwhile.
   */
  readonly idle?: <T>(wait: Promise<T>) => Promise<T>;
}

/** Runs one delivery of `job`; `attempt` counts from 1. Never throws: the result tells the queue what to do. */
export async function runAttachJob(
  job: AttachJob,
  deps: AttachDeps,
  attempt = 1,
  options: RunOptions = {},
): Promise<AttachJobResult> {
  const now = deps.now ?? (() => new Date());
  const { store } = deps;
  const maxAttempts = deps.maxAttempts ?? 5;
  let request = job.request;
  try {
    const running = await store.updateJob(job.jobId, {
      status: "running",
      attempts: attempt,
      startedAt: now().toISOString(),
    });
    // A tag is resolved once: a retry signs the digest the first attempt found, even if the tag has
    // moved since (queue messages are immutable, so the digest comes from the store).
    if (request.digest === undefined && running.request.digest !== undefined)
      request = { ...request, digest: running.request.digest };
  } catch (error) {
    // No record to run under (deleted, or never created): nothing to retry. A store that is down
    // cannot record anything either; let the queue come back later, within the attempt budget.
    if (error instanceof JobNotFoundError) return { kind: "done" };
    return storeUnavailable(error, attempt, maxAttempts, deps);
  }
  const deadline = attemptDeadline(deps.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS, options.signal);
  try {
    // Two runs of one job at once (a queue redelivering a message still being worked on) hold the same
    // claims (the owner is the job id): the second waits for the first, then finds every signature done.
    const outcomes = await deps.lock.withLock(`job:${job.jobId}`, () =>
      attach({ ...job, request }, deps, attempt, deadline.signal, options.idle),
    );
    await store.updateJob(job.jobId, {
      status: "succeeded",
      outcomes,
      lastError: null,
      finishedAt: now().toISOString(),
    });
    return { kind: "done" };
  } catch (error) {
    const failures = error instanceof FormatFailures ? error.errors : [error];
    // One transient failure is enough to try again: a permanent failure of another format must not
    // turn it into a dead letter (the retry finds the other formats' signatures recorded, or fails
    // them again). Dead when every failure is permanent, or the attempts are used up.
    const transient = failures.find(isTransient);
    const cause = transient ?? failures[0];
    const outcomes = error instanceof FormatFailures ? error.outcomes : undefined;
    const retry = transient !== undefined && attempt < maxAttempts;
    const lastError =
      transient !== undefined && !retry ? gaveUp(attempt, describeFailure(cause)) : describeFailure(cause);
    try {
      await store.updateJob(job.jobId, {
        status: retry ? "failed" : "dead",
        lastError,
        ...(outcomes !== undefined && { outcomes }),
        ...(!retry && { finishedAt: now().toISOString() }),
      });
    } catch (storeError) {
      return storeUnavailable(storeError, attempt, maxAttempts, deps);
    }
    return retry ? { kind: "retry", delayMs: retryDelayMs(attempt, deps.backoff) } : { kind: "done" };
  } finally {
    deadline.clear();
  }
}

/** The attempt's signal: aborted at its deadline, or with `outer` (shutdown), whichever comes first. */
function attemptDeadline(ms: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new AttemptAbortedError("deadline", `the attempt passed its ${ms} ms deadline`)),
    ms,
  );
  const onOuter = () =>
    controller.abort(
      new AttemptAbortedError("shutdown", "the attempt was stopped: the service is shutting down"),
    );
  if (outer?.aborted) onOuter();
  else outer?.addEventListener("abort", onOuter, { once: true });
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuter);
    },
  };
}

function storeUnavailable(
  error: unknown,
  attempt: number,
  maxAttempts: number,
  deps: AttachDeps,
): AttachJobResult {
  return isTransient(error) && attempt < maxAttempts
    ? { kind: "retry", delayMs: retryDelayMs(attempt, deps.backoff) }
    : { kind: "done" };
}

async function attach(
  job: AttachJob,
  deps: AttachDeps,
  attempt: number,
  signal: AbortSignal,
  idle: RunOptions["idle"],
): Promise<FormatOutcomes> {
  const { request } = job;
  const client = deps.registry(request.registry);
  const facts = await recallRegistryFacts(deps.store, client);
  try {
    return await attachTo(job, deps, attempt, idle, client.repository(request.repository, { signal }));
  } finally {
    await rememberRegistryFacts(deps.store, client, facts);
  }
}

async function attachTo(
  job: AttachJob,
  deps: AttachDeps,
  attempt: number,
  idle: RunOptions["idle"],
  repository: Repository,
): Promise<FormatOutcomes> {
  const { request } = job;
  // Sign a digest, never a tag: a tag is resolved once, and the bytes are hashed by the client.
  const fetched = await repository.fetchManifest(request.digest ?? request.reference);
  if (request.digest === undefined)
    await deps.store.updateJob(job.jobId, { digest: fetched.descriptor.digest });
  const { manifest } = fetched;
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const formats = job.formats ?? deps.formats;
  const index = isImageIndex(manifest) ? manifest : undefined;
  const skip = isSignatureArtifact(manifest)
    ? "a signature or attestation artifact"
    : index !== undefined && isArtifactIndex(index)
      ? "an index of artifacts (such as a referrers tag-schema index), not an image"
      : undefined;
  if (skip !== undefined) {
    const skipped: FormatOutcome = { status: "skipped", detail: skip, at };
    return Object.fromEntries(formats.map((f) => [f, skipped]));
  }
  const subjects: Subject[] = [{ descriptor: fetched.descriptor }];
  const notes: string[] = [];
  if (index !== undefined && (job.recursive ?? deps.signIndexChildren)) {
    const children = await indexChildren(
      repository,
      index,
      deps.maxIndexChildren ?? DEFAULT_MAX_INDEX_CHILDREN,
    );
    subjects.push(...children.subjects.map((descriptor) => ({ descriptor })));
    notes.push(...children.notes);
  }
  const outcomes: Partial<Record<FormatName, FormatOutcome>> = {};
  const errors: unknown[] = [];
  const written: WrittenRecord[] = [];
  for (const format of formats) {
    const result = await signEverySubject(job, deps, repository, subjects, format, attempt, notes, written);
    outcomes[format] = result.outcome;
    if (result.error !== undefined) errors.push(result.error);
  }
  await recordOnceListed(job, deps, repository, written, idle);
  if (errors.length > 0) throw new FormatFailures(outcomes, errors);
  return outcomes;
}

/** A signature written by this attempt, recorded once the registry is seen to list it. */
interface WrittenRecord {
  readonly key: SignatureKey;
  readonly result: SignatureResult;
  readonly subject: Descriptor;
}

/**
 * The tag-schema index and `.sig` tag are shared with other writers that may overwrite them: a signature
 * is recorded as done only after settle() has read it back (merging it again where it was lost).
 * Unconfirmed, the claims are let go and the job retries (UnconfirmedWriteError is transient).
 */
async function recordOnceListed(
  job: AttachJob,
  deps: AttachDeps,
  repository: Repository,
  written: readonly WrittenRecord[],
  idle: RunOptions["idle"],
): Promise<void> {
  try {
    await (idle === undefined ? repository.settle() : idle(repository.settle()));
  } catch (error) {
    await Promise.all(written.map((w) => deps.store.releaseSignature(w.key, job.jobId).catch(() => false)));
    throw error;
  }
  for (const { key, result, subject } of written) {
    await deps.store.completeSignature(key, result);
    deps.onSigned?.(key.format, subject);
  }
}

/**
 * A referrers tag-schema index (`sha256-<hex>`) lists artifacts, each entry with its `artifactType`
 * (distribution-spec "Referrers Tag Schema"); so does any index of artifacts. A multi-platform image
 * index lists images, which carry no `artifactType`. An empty index has nothing to sign either.
 */
function isArtifactIndex(index: ImageIndex): boolean {
  const entries = Array.isArray(index.manifests) ? index.manifests : [];
  return entries.every((d) => typeof d.artifactType === "string" && d.artifactType !== "");
}

async function signEverySubject(
  job: AttachJob,
  deps: AttachDeps,
  repository: Repository,
  subjects: readonly Subject[],
  format: FormatName,
  attempt: number,
  notes: readonly string[],
  written: WrittenRecord[],
): Promise<{ outcome: FormatOutcome; error?: unknown }> {
  const at = () => (deps.now ?? (() => new Date()))().toISOString();
  let signed = 0;
  let last: string | undefined;
  try {
    for (const subject of subjects) {
      const result = await signOnce(job, deps, repository, subject.descriptor, format, attempt, written);
      if (result.signed) signed++;
      if (subject === subjects[0]) last = result.signatureDigest;
    }
  } catch (error) {
    return { outcome: { status: "failed", detail: describeFailure(error), at: at() }, error };
  }
  const outcome: FormatOutcome = {
    status: signed > 0 ? "signed" : "existing",
    ...(last !== undefined && { signatureDigest: last }),
    artifactType: signatureFormat(format).artifactType,
    ...(detail(subjects, notes) !== undefined && { detail: detail(subjects, notes) }),
    at: at(),
  };
  return { outcome };
}

/** What the outcome says beyond "signed": how many manifests, and what was skipped and why. */
function detail(subjects: readonly Subject[], notes: readonly string[]): string | undefined {
  const parts = [
    ...(subjects.length > 1 ? [`${subjects.length} manifests (index and children)`] : []),
    ...notes,
  ];
  return parts.length === 0 ? undefined : parts.join("; ");
}

async function signOnce(
  job: AttachJob,
  deps: AttachDeps,
  repository: Repository,
  subject: Descriptor,
  format: FormatName,
  attempt: number,
  written: WrittenRecord[],
): Promise<{ signed: boolean; signatureDigest: string }> {
  const key: SignatureKey = {
    registry: job.request.registry,
    repository: job.request.repository,
    digest: subject.digest,
    format,
    keyId: deps.signer.keyId,
  };
  // The claim's owner is the job id, so that a run after a crash takes its own claim back at once
  // (two live runs of one job are serialized by the job lock in runAttachJob).
  const lockKey = `signature:${key.registry}/${key.repository}@${key.digest}#${format}#${key.keyId}`;
  return deps.lock.withLock(lockKey, () =>
    claimAndSign(job, deps, repository, subject, key, attempt, written),
  );
}

async function claimAndSign(
  job: AttachJob,
  deps: AttachDeps,
  repository: Repository,
  subject: Descriptor,
  key: SignatureKey,
  attempt: number,
  written: WrittenRecord[],
): Promise<{ signed: boolean; signatureDigest: string }> {
  const { store } = deps;
  const { format } = key;
  const claim = await store.claimSignature(key, job.jobId, deps.claimLeaseMs ?? 300_000);
  if (claim === "busy")
    throw new SignatureBusyError(`${format} signature of ${subject.digest} is being written`);
  if (claim === "done") {
    const record = await store.getSignature(key);
    return { signed: false, signatureDigest: record?.signatureDigest ?? "" };
  }
  try {
    const created = (deps.now ?? (() => new Date()))();
    // A retry may follow an attempt whose write the registry applied but whose answer was lost.
    const adopted =
      attempt > 1 ? await findOwnSignature({ repository, subject, format, signer: deps.signer }) : undefined;
    if (adopted !== undefined) {
      const record = await store.completeSignature(key, {
        signatureDigest: adopted.digest,
        artifactType: adopted.artifactType,
        createdAt: adopted.created ?? created.toISOString(),
      });
      return { signed: false, signatureDigest: record.signatureDigest };
    }
    const signature = await signSubject({ ...deps, repository, subject, format, created });
    const result: SignatureResult = {
      signatureDigest: signature.digest,
      artifactType: signature.artifactType,
      createdAt: created.toISOString(),
    };
    if (!signature.written)
      return { signed: false, signatureDigest: (await store.completeSignature(key, result)).signatureDigest };
    written.push({ key, result, subject });
    return { signed: true, signatureDigest: signature.digest };
  } catch (error) {
    await store.releaseSignature(key, job.jobId).catch(() => false);
    throw error;
  }
}

/** Carries per-format outcomes when at least one format failed; `errors` decide retry or dead letter. */
class FormatFailures extends Error {
  readonly outcomes: FormatOutcomes;
  readonly errors: readonly unknown[];
  constructor(outcomes: FormatOutcomes, errors: readonly unknown[]) {
    super(describeFailure(errors[0]));
    this.outcomes = outcomes;
    this.errors = errors;
  }
}
