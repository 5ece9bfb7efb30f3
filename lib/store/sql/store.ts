// The store in SQL that both SQLite (node:sqlite) and Cloudflare D1 run unchanged: positional `?`
// parameters, no PRAGMA, JSON1 `json_patch` (built into both), and every claim or lease a single
// `INSERT … ON CONFLICT … DO UPDATE … WHERE` (SQLite "UPSERT", 3.24+), so the check and the write are
// one atomic statement and `changes` says who won. Times in lease columns are epoch milliseconds from
// the caller's clock, never SQL's, so every backend compares the same numbers.
import { JobExistsError, JobNotFoundError, StoreError } from "../errors.ts";
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
} from "../store.ts";
import type { SqlDatabase, SqlValue } from "./database.ts";
import { type JobRow, type SignatureRow, toJob, toSignature } from "./rows.ts";

/** The schema, one statement each (D1 `exec` and migrations files take them as they are). */
export const SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  registry TEXT NOT NULL,
  repository TEXT NOT NULL,
  reference TEXT NOT NULL,
  digest TEXT,
  source TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  outcomes TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
)`,
  "CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at)",
  "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at)",
  `CREATE TABLE IF NOT EXISTS signatures (
  registry TEXT NOT NULL,
  repository TEXT NOT NULL,
  digest TEXT NOT NULL,
  format TEXT NOT NULL,
  key_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
  owner TEXT,
  lease_expires_at INTEGER,
  signature_digest TEXT,
  artifact_type TEXT,
  created_at TEXT,
  PRIMARY KEY (registry, repository, digest, format, key_id)
)`,
  `CREATE TABLE IF NOT EXISTS subject_locks (
  subject TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS registry_facts (
  registry TEXT PRIMARY KEY,
  facts TEXT NOT NULL,
  expires_at INTEGER NOT NULL
)`,
  `CREATE TABLE IF NOT EXISTS webhook_deliveries (
  source TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (source, delivery_id)
)`,
];

/** The schema as one script, for `wrangler d1 migrations` or `sqlite3`. */
export function schemaScript(): string {
  return `${SCHEMA.join(";\n\n")};\n`;
}

const SIGNATURE_KEY = "registry = ? AND repository = ? AND digest = ? AND format = ? AND key_id = ?";
const SIGNATURE_COLUMNS =
  "registry, repository, digest, format, key_id, signature_digest, artifact_type, created_at";

export const Statements = {
  insertJob: `INSERT INTO jobs (id, status, registry, repository, reference, digest, source, attempts,
  outcomes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, '{}', ?, ?)
ON CONFLICT (id) DO NOTHING RETURNING *`,
  selectJob: "SELECT * FROM jobs WHERE id = ?",
  // Outcomes merge per format: the first json_patch deletes the formats being replaced (RFC 7396: a
  // null member removes), the second inserts them whole, so no stale field of an old outcome survives.
  updateJob: `UPDATE jobs SET
  status = COALESCE(?, status),
  attempts = COALESCE(?, attempts),
  last_error = CASE WHEN ? = 1 THEN ? ELSE last_error END,
  digest = COALESCE(?, digest),
  outcomes = json_patch(json_patch(outcomes, ?), ?),
  started_at = CASE WHEN ? = 1 THEN ? ELSE started_at END,
  finished_at = CASE WHEN ? = 1 THEN ? ELSE finished_at END,
  updated_at = ?
WHERE id = ? RETURNING *`,
  listJobs: "SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?",
  listJobsByStatus: "SELECT * FROM jobs WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
  // Claimed when absent, when the pending lease expired, or when the same owner renews; never once done.
  claimSignature: `INSERT INTO signatures (registry, repository, digest, format, key_id, state, owner,
  lease_expires_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
ON CONFLICT (registry, repository, digest, format, key_id) DO UPDATE
SET owner = excluded.owner, lease_expires_at = excluded.lease_expires_at
WHERE signatures.state = 'pending' AND (signatures.lease_expires_at <= ? OR signatures.owner = excluded.owner)`,
  signatureState: `SELECT state FROM signatures WHERE ${SIGNATURE_KEY}`,
  // The first completion wins: a done record is never rewritten.
  completeSignature: `INSERT INTO signatures (registry, repository, digest, format, key_id, state,
  signature_digest, artifact_type, created_at) VALUES (?, ?, ?, ?, ?, 'done', ?, ?, ?)
ON CONFLICT (registry, repository, digest, format, key_id) DO UPDATE
SET state = 'done', owner = NULL, lease_expires_at = NULL, signature_digest = excluded.signature_digest,
  artifact_type = excluded.artifact_type, created_at = excluded.created_at
WHERE signatures.state = 'pending'`,
  releaseSignature: `DELETE FROM signatures WHERE ${SIGNATURE_KEY} AND state = 'pending' AND owner = ?`,
  selectSignature: `SELECT ${SIGNATURE_COLUMNS} FROM signatures WHERE ${SIGNATURE_KEY} AND state = 'done'`,
  listSignatures: `SELECT ${SIGNATURE_COLUMNS} FROM signatures
WHERE registry = ? AND repository = ? AND digest = ? AND state = 'done'`,
  acquireLock: `INSERT INTO subject_locks (subject, owner, expires_at) VALUES (?, ?, ?)
ON CONFLICT (subject) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE subject_locks.expires_at <= ? OR subject_locks.owner = excluded.owner`,
  releaseLock: "DELETE FROM subject_locks WHERE subject = ? AND owner = ?",
  // A delivery counts as new when absent or expired; `changes` = 0 means it was seen.
  recordDelivery: `INSERT INTO webhook_deliveries (source, delivery_id, expires_at) VALUES (?, ?, ?)
ON CONFLICT (source, delivery_id) DO UPDATE SET expires_at = excluded.expires_at
WHERE webhook_deliveries.expires_at <= ?`,
  sweepDeliveries: "DELETE FROM webhook_deliveries WHERE expires_at <= ?",
  selectRegistryFacts: "SELECT facts FROM registry_facts WHERE registry = ? AND expires_at > ?",
  upsertRegistryFacts: `INSERT INTO registry_facts (registry, facts, expires_at) VALUES (?, ?, ?)
ON CONFLICT (registry) DO UPDATE SET facts = excluded.facts, expires_at = excluded.expires_at`,
  sweepLocks: "DELETE FROM subject_locks WHERE expires_at <= ?",
} as const;

export interface SqlStoreOptions {
  /** Epoch milliseconds; leases and timestamps come from here. */
  readonly now?: () => number;
  /** Expired delivery and lock rows are deleted at most this often (ms). Default one minute. */
  readonly sweepIntervalMs?: number;
}

const DEFAULT_JOB_LIMIT = 50;
const MAX_JOB_LIMIT = 500;

export class SqlStore implements Store {
  readonly #db: SqlDatabase;
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  #lastSweep = 0;

  constructor(db: SqlDatabase, options: SqlStoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  }

  /** Creates the tables when missing (idempotent). */
  async migrate(): Promise<void> {
    await this.#guard("migrate", async () => {
      if (this.#db.batch) return this.#db.batch(SCHEMA.map((sql) => ({ sql, params: [] })));
      for (const sql of SCHEMA) await this.#db.run(sql);
    });
  }

  async createJob(job: NewJob): Promise<Job> {
    const id = job.id ?? crypto.randomUUID();
    const at = this.#iso();
    const { registry, repository, reference, digest } = job.request;
    const row = await this.#guard("createJob", () =>
      this.#db.first<JobRow>(Statements.insertJob, [
        id,
        job.status ?? "queued",
        registry,
        repository,
        reference,
        digest ?? null,
        job.source ?? null,
        at,
        at,
      ]),
    );
    if (row === undefined) throw new JobExistsError(id);
    return toJob(row);
  }

  async getJob(id: string): Promise<Job | undefined> {
    const row = await this.#guard("getJob", () => this.#db.first<JobRow>(Statements.selectJob, [id]));
    return row === undefined ? undefined : toJob(row);
  }

  async updateJob(id: string, patch: JobPatch): Promise<Job> {
    const outcomes = patch.outcomes ?? {};
    const removals = Object.fromEntries(Object.keys(outcomes).map((format) => [format, null]));
    const row = await this.#guard("updateJob", () =>
      this.#db.first<JobRow>(Statements.updateJob, [
        patch.status ?? null,
        patch.attempts ?? null,
        ...optional(patch.lastError),
        patch.digest ?? null,
        JSON.stringify(removals),
        JSON.stringify(outcomes),
        ...optional(patch.startedAt),
        ...optional(patch.finishedAt),
        this.#iso(),
        id,
      ]),
    );
    if (row === undefined) throw new JobNotFoundError(id);
    return toJob(row);
  }

  async listJobs(query: JobQuery = {}): Promise<Job[]> {
    const limit = Math.max(1, Math.min(MAX_JOB_LIMIT, Math.trunc(query.limit ?? DEFAULT_JOB_LIMIT)));
    const rows = await this.#guard("listJobs", () =>
      query.status === undefined
        ? this.#db.all<JobRow>(Statements.listJobs, [limit])
        : this.#db.all<JobRow>(Statements.listJobsByStatus, [query.status, limit]),
    );
    return rows.map(toJob);
  }

  async claimSignature(key: SignatureKey, owner: string, leaseMs: number): Promise<ClaimResult> {
    checkLease(leaseMs);
    return this.#guard("claimSignature", async () => {
      // A record released between our failed claim and the read looks absent: claim again (bounded).
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = this.#now();
        const claim = await this.#db.run(Statements.claimSignature, [
          ...keyParams(key),
          owner,
          now + leaseMs,
          now,
        ]);
        if (claim.changes > 0) return "claimed";
        const row = await this.#db.first<{ state: string }>(Statements.signatureState, keyParams(key));
        if (row?.state === "done") return "done";
        if (row !== undefined) return "busy";
      }
      return "busy";
    });
  }

  async completeSignature(key: SignatureKey, result: SignatureResult): Promise<SignatureRecord> {
    return this.#guard("completeSignature", async () => {
      await this.#db.run(Statements.completeSignature, [
        ...keyParams(key),
        result.signatureDigest,
        result.artifactType,
        result.createdAt,
      ]);
      const row = await this.#db.first<SignatureRow>(Statements.selectSignature, keyParams(key));
      if (row === undefined) throw new StoreError("a completed signature record vanished");
      return toSignature(row);
    });
  }

  async releaseSignature(key: SignatureKey, owner: string): Promise<boolean> {
    const result = await this.#guard("releaseSignature", () =>
      this.#db.run(Statements.releaseSignature, [...keyParams(key), owner]),
    );
    return result.changes > 0;
  }

  async getSignature(key: SignatureKey): Promise<SignatureRecord | undefined> {
    const row = await this.#guard("getSignature", () =>
      this.#db.first<SignatureRow>(Statements.selectSignature, keyParams(key)),
    );
    return row === undefined ? undefined : toSignature(row);
  }

  async listSignatures(subject: SubjectQuery): Promise<SignatureRecord[]> {
    const rows = await this.#guard("listSignatures", () =>
      this.#db.all<SignatureRow>(Statements.listSignatures, [
        subject.registry,
        subject.repository,
        subject.digest,
      ]),
    );
    return rows.map(toSignature);
  }

  async acquireLock(subjectKey: string, owner: string, leaseMs: number): Promise<boolean> {
    checkLease(leaseMs);
    const now = this.#now();
    const result = await this.#guard("acquireLock", () =>
      this.#db.run(Statements.acquireLock, [subjectKey, owner, now + leaseMs, now]),
    );
    return result.changes > 0;
  }

  async releaseLock(subjectKey: string, owner: string): Promise<boolean> {
    const result = await this.#guard("releaseLock", () =>
      this.#db.run(Statements.releaseLock, [subjectKey, owner]),
    );
    return result.changes > 0;
  }

  async seenDelivery(source: string, deliveryId: string, ttlMs: number): Promise<boolean> {
    checkLease(ttlMs);
    const now = this.#now();
    const result = await this.#guard("seenDelivery", () =>
      this.#db.run(Statements.recordDelivery, [source, deliveryId, now + ttlMs, now]),
    );
    await this.#sweep(now);
    return result.changes === 0;
  }

  async registryFacts(registry: string): Promise<RegistryFacts | undefined> {
    const row = await this.#guard("registryFacts", () =>
      this.#db.first<{ facts: string }>(Statements.selectRegistryFacts, [registry, this.#now()]),
    );
    return row === undefined ? undefined : (JSON.parse(row.facts) as RegistryFacts);
  }

  async rememberRegistryFacts(registry: string, facts: RegistryFacts, ttlMs: number): Promise<void> {
    checkLease(ttlMs);
    await this.#guard("rememberRegistryFacts", () =>
      this.#db.run(Statements.upsertRegistryFacts, [registry, JSON.stringify(facts), this.#now() + ttlMs]),
    );
  }

  // Expired rows are harmless (every statement compares expiry) but would grow without bound.
  async #sweep(now: number): Promise<void> {
    if (now - this.#lastSweep < this.#sweepIntervalMs) return;
    this.#lastSweep = now;
    await this.#guard("sweep", async () => {
      await this.#db.run(Statements.sweepDeliveries, [now]);
      await this.#db.run(Statements.sweepLocks, [now]);
    });
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  async #guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`store operation ${operation} failed`, { cause: error });
    }
  }
}

function checkLease(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new StoreError(`a lease or TTL must be a positive integer of milliseconds, got ${ms}`);
  }
}

/** `[given?, value]` for the `CASE WHEN ? = 1 THEN ? …` columns: undefined keeps, null clears. */
function optional(value: string | null | undefined): [SqlValue, SqlValue] {
  return value === undefined ? [0, null] : [1, value];
}

function keyParams(key: SignatureKey): SqlValue[] {
  return [key.registry, key.repository, key.digest, key.format, key.keyId];
}
