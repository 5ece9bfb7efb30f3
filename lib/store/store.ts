// What the service remembers: attach jobs and their outcomes, which signatures exist (the idempotency
// records), per-subject leases, and webhook deliveries already seen. Small on purpose: every method maps
// to one conditional write or one keyed read on SQLite, D1, a Durable Object or DynamoDB.
import type { FormatName } from "../formats/index.ts";

/**
 * `failed`: the last attempt failed and the queue will retry; `dead`: failed permanently (a dead
 * letter), `lastError` holds the reason.
 */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "dead";

export const JobStatuses: readonly JobStatus[] = ["queued", "running", "succeeded", "failed", "dead"];

/** What was asked to be signed, as received (webhook event or API call). */
export interface JobRequest {
  /** Normalized registry host (`127.0.0.1:5000`, `ghcr.io`). */
  readonly registry: string;
  readonly repository: string;
  /** The tag or digest the request named. */
  readonly reference: string;
  /** `sha256:<hex>` once known: from the request, or the tag resolved once. */
  readonly digest?: string;
}

export interface FormatOutcome {
  /** `existing`: the idempotency record said it was already signed; nothing was written. */
  readonly status: "signed" | "existing" | "skipped" | "failed";
  readonly signatureDigest?: string;
  readonly artifactType?: string;
  /** Why it was skipped or failed (never a secret). */
  readonly detail?: string;
  /** RFC 3339. */
  readonly at: string;
}

export type FormatOutcomes = Readonly<Partial<Record<FormatName, FormatOutcome>>>;

export interface Job {
  readonly id: string;
  readonly status: JobStatus;
  readonly request: JobRequest;
  /** Who asked: `webhook:<name>`, `api`, `reconcile`. */
  readonly source?: string;
  readonly attempts: number;
  /** The last failure; for a `dead` job, the reason it was given up. */
  readonly lastError?: string;
  readonly outcomes: FormatOutcomes;
  /** RFC 3339 timestamps (`Date.prototype.toISOString`, so they sort as strings). */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
}

export interface NewJob {
  /** Defaults to a random UUID; pass one to make creation idempotent (a second create fails). */
  readonly id?: string;
  readonly request: JobRequest;
  readonly source?: string;
  readonly status?: JobStatus;
}

export interface JobPatch {
  readonly status?: JobStatus;
  readonly attempts?: number;
  /** `null` clears it. */
  readonly lastError?: string | null;
  /** Sets `request.digest` (a tag resolved to its digest). */
  readonly digest?: string;
  /** Merged by format: each given format's outcome replaces the stored one; others are kept. */
  readonly outcomes?: FormatOutcomes;
  readonly startedAt?: string | null;
  readonly finishedAt?: string | null;
}

export interface JobQuery {
  readonly status?: JobStatus;
  /** Newest first; default 50, at most 500. */
  readonly limit?: number;
}

/** The idempotency key of one signature (DESIGN.md data flow: "record outcome"). */
export interface SignatureKey {
  readonly registry: string;
  readonly repository: string;
  /** The subject's digest. */
  readonly digest: string;
  readonly format: FormatName;
  /** `Signer.keyId`. */
  readonly keyId: string;
}

export interface SignatureResult {
  /** Digest of the artifact manifest we pushed (for `cosign`, of the `.sig` manifest after our write). */
  readonly signatureDigest: string;
  readonly artifactType: string;
  /** RFC 3339, as in the artifact's `org.opencontainers.image.created`. */
  readonly createdAt: string;
}

export interface SignatureRecord extends SignatureKey, SignatureResult {}

/** The image whose signatures are listed. */
export interface SubjectQuery {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
}

/**
 * `claimed`: the caller owns the signature until the lease expires and must complete or release it;
 * `done`: it exists already; `busy`: another owner holds an unexpired claim (retry later).
 */
export type ClaimResult = "claimed" | "done" | "busy";

export interface Store {
  /** Throws JobExistsError when `job.id` is taken. */
  createJob(job: NewJob): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
  /** Throws JobNotFoundError. `updatedAt` is set by the store. */
  updateJob(id: string, patch: JobPatch): Promise<Job>;
  listJobs(query?: JobQuery): Promise<Job[]>;

  /**
   * One atomic conditional write: claims when no record exists, when the previous claim's lease has
   * expired, or when `owner` already holds it (which renews the lease).
   */
  claimSignature(key: SignatureKey, owner: string, leaseMs: number): Promise<ClaimResult>;
  /**
   * Records the signature as done, claimed or not (reconcile records what it finds). The first
   * completion wins; the stored record is returned.
   */
  completeSignature(key: SignatureKey, result: SignatureResult): Promise<SignatureRecord>;
  /** Drops `owner`'s pending claim after a failure; false when it was not (or no longer) `owner`'s. */
  releaseSignature(key: SignatureKey, owner: string): Promise<boolean>;
  /** The completed signature, if any. */
  getSignature(key: SignatureKey): Promise<SignatureRecord | undefined>;
  /** Completed signatures of one subject, every format and key, in no particular order. */
  listSignatures(subject: SubjectQuery): Promise<SignatureRecord[]>;

  /** A lease: true when acquired (free, expired, or already `owner`'s: renewed). */
  acquireLock(subjectKey: string, owner: string, leaseMs: number): Promise<boolean>;
  /** True when `owner` held it and it is now free. */
  releaseLock(subjectKey: string, owner: string): Promise<boolean>;

  /** Records a webhook delivery; true when it was already seen within its TTL (a redelivery). */
  seenDelivery(source: string, deliveryId: string, ttlMs: number): Promise<boolean>;

  /**
   * What was learnt about a registry host (its referrers API, whether it honours If-Match), so that a
   * new process (a Lambda container, a Workers isolate, a restart) does not probe it again.
   */
  registryFacts(registry: string): Promise<RegistryFacts | undefined>;
  /** Replaces what is remembered of `registry` for `ttlMs` (registries change: the facts expire). */
  rememberRegistryFacts(registry: string, facts: RegistryFacts, ttlMs: number): Promise<void>;
}

/** Named facts about a registry, each true or false once learnt. */
export type RegistryFacts = Readonly<Record<string, boolean>>;
