// The Store on Cloudflare: job history and webhook-delivery dedupe in D1 (the same SQL as the Node
// store, through SqlStore), signature records and subject leases in the subject's Durable Object.
// Why the split: jobs are listed across subjects (`GET /v1/jobs?status=`), which only a database can
// answer; claims and leases are per-subject read-modify-writes that want one strongly consistent,
// single-threaded owner and a way to wake waiters, which is what a Durable Object is.
import type { SubjectLock } from "../../lib/oci/subject-lock.ts";
import { StoreError } from "../../lib/store/errors.ts";
import type {
  ClaimResult,
  Job,
  JobPatch,
  JobQuery,
  NewJob,
  RegistryFacts,
  SignatureKey,
  SignatureRecord,
  SignatureResult,
  Store,
  SubjectQuery,
} from "../../lib/store/store.ts";
import { type SubjectLockOptions, subjectLock } from "../../lib/store/subject-lock.ts";
import type { DurableObjectNamespaceLike } from "./bindings.ts";
import { type SubjectCoordinatorApi, subjectName } from "./subject-ledger.ts";

export type JobStore = Pick<
  Store,
  | "createJob"
  | "getJob"
  | "updateJob"
  | "listJobs"
  | "seenDelivery"
  | "registryFacts"
  | "rememberRegistryFacts"
>;

export interface CloudflareStoreOptions {
  /** Jobs and deliveries: a SqlStore over D1. */
  readonly jobs: JobStore;
  /** The SubjectCoordinator namespace. */
  readonly subjects: DurableObjectNamespaceLike<SubjectCoordinatorApi>;
}

export class CloudflareStore implements Store {
  readonly #jobs: JobStore;
  readonly #subjects: DurableObjectNamespaceLike<SubjectCoordinatorApi>;

  constructor(options: CloudflareStoreOptions) {
    this.#jobs = options.jobs;
    this.#subjects = options.subjects;
  }

  createJob(job: NewJob): Promise<Job> {
    return this.#jobs.createJob(job);
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.#jobs.getJob(id);
  }

  updateJob(id: string, patch: JobPatch): Promise<Job> {
    return this.#jobs.updateJob(id, patch);
  }

  listJobs(query?: JobQuery): Promise<Job[]> {
    return this.#jobs.listJobs(query);
  }

  seenDelivery(source: string, deliveryId: string, ttlMs: number): Promise<boolean> {
    return this.#jobs.seenDelivery(source, deliveryId, ttlMs);
  }

  registryFacts(registry: string): Promise<RegistryFacts | undefined> {
    return this.#jobs.registryFacts(registry);
  }

  rememberRegistryFacts(registry: string, facts: RegistryFacts, ttlMs: number): Promise<void> {
    return this.#jobs.rememberRegistryFacts(registry, facts, ttlMs);
  }

  claimSignature(key: SignatureKey, owner: string, leaseMs: number): Promise<ClaimResult> {
    return this.#call("claimSignature", subjectName(key), (s) => s.claimSignature(key, owner, leaseMs));
  }

  completeSignature(key: SignatureKey, result: SignatureResult): Promise<SignatureRecord> {
    return this.#call("completeSignature", subjectName(key), (s) => s.completeSignature(key, result));
  }

  releaseSignature(key: SignatureKey, owner: string): Promise<boolean> {
    return this.#call("releaseSignature", subjectName(key), (s) => s.releaseSignature(key, owner));
  }

  getSignature(key: SignatureKey): Promise<SignatureRecord | undefined> {
    return this.#call("getSignature", subjectName(key), (s) => s.getSignature(key));
  }

  listSignatures(subject: SubjectQuery): Promise<SignatureRecord[]> {
    return this.#call("listSignatures", subjectName(subject), (s) => s.listSignatures(subject));
  }

  acquireLock(subjectKey: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.acquireLockWaiting(subjectKey, owner, leaseMs, 0);
  }

  /** `acquireLock` that waits in the Durable Object up to `waitMs` for the holder to let go. */
  acquireLockWaiting(subjectKey: string, owner: string, leaseMs: number, waitMs: number): Promise<boolean> {
    return this.#call("acquireLock", subjectKey, (s) => s.acquireLock(subjectKey, owner, leaseMs, waitMs));
  }

  releaseLock(subjectKey: string, owner: string): Promise<boolean> {
    return this.#call("releaseLock", subjectKey, (s) => s.releaseLock(subjectKey, owner));
  }

  async #call<T>(
    operation: string,
    name: string,
    fn: (stub: SubjectCoordinatorApi) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(this.#subjects.get(this.#subjects.idFromName(name)));
    } catch (error) {
      throw new StoreError(`store operation ${operation} failed (subject Durable Object)`, { cause: error });
    }
  }
}

export interface DurableSubjectLockOptions extends Omit<SubjectLockOptions, "owner"> {
  /** How long one acquire call waits inside the Durable Object before the caller backs off. Default 5 s. */
  readonly waitMs?: number;
}

/**
 * The SubjectLock lib/oci and the attach job use: lib's lease protocol (renewal heartbeat, timeout,
 * release) over the Durable Object, whose acquire waits for a release instead of the caller polling.
 */
export function durableSubjectLock(
  store: CloudflareStore,
  options: DurableSubjectLockOptions = {},
): SubjectLock {
  const { waitMs = 5_000, ...lease } = options;
  return subjectLock(
    {
      acquireLock: (key, owner, leaseMs) => store.acquireLockWaiting(key, owner, leaseMs, waitMs),
      releaseLock: (key, owner) => store.releaseLock(key, owner),
    },
    // The waiting happens in the object; the caller only spaces out the rare empty-handed returns.
    { minDelayMs: 1, maxDelayMs: 50, ...lease },
  );
}
