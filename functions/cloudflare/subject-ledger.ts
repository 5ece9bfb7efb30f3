// What one subject's Durable Object remembers: its signature records (the idempotency keys of
// DESIGN.md's "record outcome") and the leases that serialize its fallback-index and `.sig` updates.
// A Durable Object runs one event at a time, so each decision below is a synchronous read and write
// of in-memory state, persisted before the answer leaves (the object's output gate holds it until
// then). Leases compare against this object's clock only, never the callers'.
import type {
  ClaimResult,
  SignatureKey,
  SignatureRecord,
  SignatureResult,
  SubjectQuery,
} from "../../lib/store/store.ts";

/** The RPC surface of the subject Durable Object (every method crosses the wire, hence Promise). */
export interface SubjectCoordinatorApi {
  claimSignature(key: SignatureKey, owner: string, leaseMs: number): Promise<ClaimResult>;
  completeSignature(key: SignatureKey, result: SignatureResult): Promise<SignatureRecord>;
  releaseSignature(key: SignatureKey, owner: string): Promise<boolean>;
  getSignature(key: SignatureKey): Promise<SignatureRecord | undefined>;
  listSignatures(subject: SubjectQuery): Promise<SignatureRecord[]>;
  /**
   * Takes the lease when free, expired or already `owner`'s (renewal). Otherwise waits up to
   * `waitMs` for its release or expiry, so contending writers are woken instead of polling.
   */
  acquireLock(lockKey: string, owner: string, leaseMs: number, waitMs: number): Promise<boolean>;
  releaseLock(lockKey: string, owner: string): Promise<boolean>;
}

/** The subset of `DurableObjectStorage` the ledger needs (a Map stands in for it in unit tests). */
export interface LedgerStorage {
  list<T>(options: { readonly prefix: string }): Promise<Map<string, T>>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
}

type SignatureEntry =
  | {
      readonly state: "pending";
      readonly key: SignatureKey;
      readonly owner: string;
      readonly expiresAt: number;
    }
  | { readonly state: "done"; readonly record: SignatureRecord };

interface LeaseEntry {
  readonly owner: string;
  readonly expiresAt: number;
}

const SIGNATURE_PREFIX = "signature:";
const LOCK_PREFIX = "lock:";

/** The Durable Object name of a subject: the same string lib/oci locks the fallback index under. */
export function subjectName(subject: SubjectQuery): string {
  return `${subject.registry}/${subject.repository}@${subject.digest}`;
}

export class LedgerInputError extends Error {
  override readonly name = "LedgerInputError";
}

export class SubjectLedger implements SubjectCoordinatorApi {
  readonly #storage: LedgerStorage;
  readonly #now: () => number;
  readonly #signatures: Map<string, SignatureEntry>;
  readonly #locks: Map<string, LeaseEntry>;
  readonly #waiters = new Map<string, Set<() => void>>();

  private constructor(
    storage: LedgerStorage,
    now: () => number,
    signatures: Map<string, SignatureEntry>,
    locks: Map<string, LeaseEntry>,
  ) {
    this.#storage = storage;
    this.#now = now;
    this.#signatures = signatures;
    this.#locks = locks;
  }

  /** Loads the persisted state (a handful of records per subject) into memory. */
  static async open(storage: LedgerStorage, now: () => number = Date.now): Promise<SubjectLedger> {
    const signatures = new Map<string, SignatureEntry>();
    for (const [name, entry] of await storage.list<SignatureEntry>({ prefix: SIGNATURE_PREFIX }))
      signatures.set(name.slice(SIGNATURE_PREFIX.length), entry);
    const locks = new Map<string, LeaseEntry>();
    for (const [name, entry] of await storage.list<LeaseEntry>({ prefix: LOCK_PREFIX }))
      locks.set(name.slice(LOCK_PREFIX.length), entry);
    return new SubjectLedger(storage, now, signatures, locks);
  }

  async claimSignature(key: SignatureKey, owner: string, leaseMs: number): Promise<ClaimResult> {
    checkDuration(leaseMs);
    const id = signatureId(key);
    const now = this.#now();
    const current = this.#signatures.get(id);
    if (current?.state === "done") return "done";
    if (current !== undefined && current.expiresAt > now && current.owner !== owner) return "busy";
    await this.#setSignature(id, { state: "pending", key: copyKey(key), owner, expiresAt: now + leaseMs });
    return "claimed";
  }

  async completeSignature(key: SignatureKey, result: SignatureResult): Promise<SignatureRecord> {
    const id = signatureId(key);
    const current = this.#signatures.get(id);
    // The first completion wins: a done record is never rewritten.
    if (current?.state === "done") return current.record;
    const record: SignatureRecord = {
      ...copyKey(key),
      signatureDigest: result.signatureDigest,
      artifactType: result.artifactType,
      createdAt: result.createdAt,
    };
    await this.#setSignature(id, { state: "done", record });
    return record;
  }

  async releaseSignature(key: SignatureKey, owner: string): Promise<boolean> {
    const id = signatureId(key);
    const current = this.#signatures.get(id);
    if (current?.state !== "pending" || current.owner !== owner) return false;
    this.#signatures.delete(id);
    await this.#storage.delete(SIGNATURE_PREFIX + id);
    return true;
  }

  async getSignature(key: SignatureKey): Promise<SignatureRecord | undefined> {
    const current = this.#signatures.get(signatureId(key));
    return current?.state === "done" ? current.record : undefined;
  }

  async listSignatures(subject: SubjectQuery): Promise<SignatureRecord[]> {
    const records: SignatureRecord[] = [];
    for (const entry of this.#signatures.values()) {
      if (entry.state !== "done") continue;
      const { record } = entry;
      if (
        record.registry === subject.registry &&
        record.repository === subject.repository &&
        record.digest === subject.digest
      )
        records.push(record);
    }
    return records;
  }

  async acquireLock(lockKey: string, owner: string, leaseMs: number, waitMs: number): Promise<boolean> {
    checkDuration(leaseMs);
    if (!Number.isSafeInteger(waitMs) || waitMs < 0) throw new LedgerInputError(`invalid wait ${waitMs}`);
    const deadline = this.#now() + waitMs;
    for (;;) {
      const now = this.#now();
      const held = this.#locks.get(lockKey);
      if (held === undefined || held.expiresAt <= now || held.owner === owner) {
        await this.#setLock(lockKey, { owner, expiresAt: now + leaseMs });
        return true;
      }
      if (now >= deadline) return false;
      // Woken by a release; otherwise when the holder's lease runs out or our wait ends.
      await this.#waitForRelease(lockKey, Math.min(deadline, held.expiresAt) - now);
    }
  }

  async releaseLock(lockKey: string, owner: string): Promise<boolean> {
    const held = this.#locks.get(lockKey);
    if (held === undefined || held.owner !== owner) return false;
    this.#locks.delete(lockKey);
    await this.#storage.delete(LOCK_PREFIX + lockKey);
    // Every waiter re-checks; the first to run takes the lease, the rest wait again.
    for (const wake of [...(this.#waiters.get(lockKey) ?? [])]) wake();
    return true;
  }

  async #setSignature(id: string, entry: SignatureEntry): Promise<void> {
    this.#signatures.set(id, entry);
    await this.#storage.put(SIGNATURE_PREFIX + id, entry);
  }

  async #setLock(lockKey: string, entry: LeaseEntry): Promise<void> {
    this.#locks.set(lockKey, entry);
    await this.#storage.put(LOCK_PREFIX + lockKey, entry);
  }

  #waitForRelease(lockKey: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(lockKey) ?? new Set<() => void>();
      this.#waiters.set(lockKey, waiters);
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.#waiters.get(lockKey) === waiters) this.#waiters.delete(lockKey);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(1, ms));
      waiters.add(wake);
    });
  }
}

/** Unambiguous whatever the fields contain (JSON quoting), and stable for storage keys. */
function signatureId(key: SignatureKey): string {
  return JSON.stringify([key.registry, key.repository, key.digest, key.format, key.keyId]);
}

/** Only the key's own fields: an RPC argument may carry more, which must not be persisted. */
function copyKey(key: SignatureKey): SignatureKey {
  return {
    registry: key.registry,
    repository: key.repository,
    digest: key.digest,
    format: key.format,
    keyId: key.keyId,
  };
}

function checkDuration(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new LedgerInputError(`a lease must be a positive integer of milliseconds, got ${ms}`);
}
