// Job history on DynamoDB. A job is one item, plus one index item per job under `JOBS#<status>`
// sorted by creation (the table has no GSI, and a GSI read is only eventually consistent): listing by
// status is one Query, listing all is one Query per status. The two are written in one
// TransactWriteItems, so the index never disagrees with the job, and an update is read, patch in
// memory, write back on the condition that the revision read is still current (optimistic concurrency,
// retried on a lost race). Both items carry `expiresAt`, refreshed on each update: TTL ages history out.

import { JobExistsError, JobNotFoundError, StoreError } from "../errors.ts";
import {
  type Job,
  type JobPatch,
  type JobQuery,
  type JobStatus,
  JobStatuses,
  type NewJob,
} from "../store.ts";
import {
  cancellationReasons,
  type DynamoDbApi,
  type Item,
  type ItemOutput,
  type PutItemInput,
  type TransactWriteItem,
} from "./api.ts";
import {
  isExpired,
  itemKey,
  jobAttributes,
  keyItem,
  num,
  readString,
  str,
  toJob,
  ttlSeconds,
} from "./items.ts";
import { jobIndexKey, jobIndexPartition, jobKey, KEY_ATTRIBUTES, TTL_ATTRIBUTE } from "./keys.ts";

export interface DynamoDbJobsOptions {
  readonly api: DynamoDbApi;
  readonly tableName: string;
  readonly now: () => number;
  readonly retentionMs: number;
  readonly updateAttempts: number;
}

const DEFAULT_JOB_LIMIT = 50;
const MAX_JOB_LIMIT = 500;

export class DynamoDbJobs {
  readonly #o: DynamoDbJobsOptions;

  constructor(options: DynamoDbJobsOptions) {
    this.#o = options;
  }

  async create(newJob: NewJob): Promise<Job> {
    const now = this.#o.now();
    const at = new Date(now).toISOString();
    const { registry, repository, reference, digest } = newJob.request;
    const job: Job = toJob({
      ...jobAttributes({
        id: newJob.id ?? crypto.randomUUID(),
        status: newJob.status ?? "queued",
        request: { registry, repository, reference, ...(digest === undefined ? {} : { digest }) },
        ...(newJob.source === undefined ? {} : { source: newJob.source }),
        attempts: 0,
        outcomes: {},
        createdAt: at,
        updatedAt: at,
      }),
    });
    const write = this.#jobWrite(job, now, {
      // A job past its retention that TTL has not deleted yet is gone as far as readers know.
      ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt <= :now",
      ExpressionAttributeNames: { "#pk": KEY_ATTRIBUTES.partition, "#expiresAt": TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ":now": num(Math.floor(now / 1000)) },
    });
    try {
      await this.#o.api.transactWriteItems({ TransactItems: [write, this.#indexWrite(job, now)] });
    } catch (error) {
      if (cancellationReasons(error)?.[0]?.Code === "ConditionalCheckFailed") {
        throw new JobExistsError(job.id, { cause: error });
      }
      throw error;
    }
    return job;
  }

  async get(id: string): Promise<Job | undefined> {
    const found = await this.#read(id);
    return found === undefined ? undefined : toJob(found);
  }

  async update(id: string, patch: JobPatch): Promise<Job> {
    for (let attempt = 0; attempt < this.#o.updateAttempts; attempt++) {
      const item = await this.#read(id);
      if (item === undefined) throw new JobNotFoundError(id);
      const current = toJob(item);
      const now = this.#o.now();
      const next = applyPatch(current, patch, new Date(now).toISOString());
      const transaction: TransactWriteItem[] = [
        this.#jobWrite(next, now, {
          ConditionExpression: "#revision = :revision",
          ExpressionAttributeNames: { "#revision": "revision" },
          ExpressionAttributeValues: { ":revision": str(readString(item, "revision") ?? "") },
        }),
        this.#indexWrite(next, now),
      ];
      if (next.status !== current.status) {
        const old = jobIndexKey(current.status, current.createdAt, current.id);
        transaction.push({ Delete: { TableName: this.#o.tableName, Key: keyItem(old) } });
      }
      try {
        await this.#o.api.transactWriteItems({ TransactItems: transaction });
        return next;
      } catch (error) {
        if (!lostRace(error)) throw error;
        await jitter(attempt);
      }
    }
    throw new StoreError(`job ${JSON.stringify(id)} kept changing during ${this.#o.updateAttempts} updates`);
  }

  async list(query: JobQuery): Promise<Job[]> {
    const limit = Math.max(1, Math.min(MAX_JOB_LIMIT, Math.trunc(query.limit ?? DEFAULT_JOB_LIMIT)));
    const statuses = query.status === undefined ? JobStatuses : [query.status];
    const now = this.#o.now();
    const pages = await Promise.all(statuses.map((status) => this.#newest(status, limit, now)));
    const encoder = new TextEncoder();
    const sorted = pages
      .flat()
      .map((item) => ({ item, sk: encoder.encode(itemKey(item).sk) }))
      // Descending byte order of `<createdAt>#<id>`: what DynamoDB's ScanIndexForward=false gives
      // within one partition, and SQLite's BINARY `ORDER BY created_at DESC, id DESC` in the SQL store.
      .sort((a, b) => compareBytes(b.sk, a.sk));
    return sorted.slice(0, limit).map(({ item }) => toJob(item));
  }

  /** Up to `limit` unexpired index items of one status, newest first, across pages. */
  async #newest(status: JobStatus, limit: number, now: number): Promise<ItemOutput[]> {
    const found: ItemOutput[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#o.api.query({
        TableName: this.#o.tableName,
        KeyConditionExpression: "#pk = :pk",
        ExpressionAttributeNames: { "#pk": KEY_ATTRIBUTES.partition },
        ExpressionAttributeValues: { ":pk": str(jobIndexPartition(status)) },
        ScanIndexForward: false,
        Limit: limit - found.length,
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      });
      for (const item of page.Items ?? []) if (!isExpired(item, now)) found.push(item);
      start = page.LastEvaluatedKey === undefined ? undefined : keyItem(itemKey(page.LastEvaluatedKey));
    } while (start !== undefined && found.length < limit);
    return found;
  }

  async #read(id: string): Promise<ItemOutput | undefined> {
    const { Item: item } = await this.#o.api.getItem({
      TableName: this.#o.tableName,
      Key: keyItem(jobKey(id)),
      ConsistentRead: true,
    });
    return item === undefined || isExpired(item, this.#o.now()) ? undefined : item;
  }

  #jobWrite(
    job: Job,
    now: number,
    condition: Pick<
      PutItemInput,
      "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
    >,
  ): TransactWriteItem {
    return {
      Put: {
        ...condition,
        TableName: this.#o.tableName,
        Item: {
          ...keyItem(jobKey(job.id)),
          ...jobAttributes(job),
          // A fresh revision per write (not a counter): a job re-created after expiry cannot be
          // mistaken for the revision an old reader saw.
          revision: str(crypto.randomUUID()),
          [TTL_ATTRIBUTE]: ttlSeconds(now + this.#o.retentionMs),
        },
      },
    };
  }

  #indexWrite(job: Job, now: number): TransactWriteItem {
    return {
      Put: {
        TableName: this.#o.tableName,
        Item: {
          ...keyItem(jobIndexKey(job.status, job.createdAt, job.id)),
          ...jobAttributes(job),
          [TTL_ATTRIBUTE]: ttlSeconds(now + this.#o.retentionMs),
        },
      },
    };
  }
}

/** The SQL store's UPDATE, in memory: undefined keeps a field, null clears it, outcomes merge by format. */
export function applyPatch(job: Job, patch: JobPatch, updatedAt: string): Job {
  const outcomes: Record<string, unknown> = { ...job.outcomes };
  for (const [format, outcome] of Object.entries(patch.outcomes ?? {})) {
    if (outcome === undefined) delete outcomes[format];
    else outcomes[format] = outcome;
  }
  const digest = patch.digest ?? job.request.digest;
  const lastError = patch.lastError === undefined ? job.lastError : patch.lastError;
  const startedAt = patch.startedAt === undefined ? job.startedAt : patch.startedAt;
  const finishedAt = patch.finishedAt === undefined ? job.finishedAt : patch.finishedAt;
  // Through the item codec, so the result equals what a later read returns (no undefined members).
  return toJob(
    jobAttributes({
      id: job.id,
      status: patch.status ?? job.status,
      request: { ...job.request, ...(digest === undefined ? {} : { digest }) },
      ...(job.source === undefined ? {} : { source: job.source }),
      attempts: patch.attempts ?? job.attempts,
      ...(lastError === undefined || lastError === null ? {} : { lastError }),
      outcomes,
      createdAt: job.createdAt,
      updatedAt,
      ...(startedAt === undefined || startedAt === null ? {} : { startedAt }),
      ...(finishedAt === undefined || finishedAt === null ? {} : { finishedAt }),
    }),
  );
}

/** Another writer changed the job between our read and write (or DynamoDB saw the transactions collide). */
function lostRace(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  if (reasons === undefined) return false;
  return (
    reasons[0]?.Code === "ConditionalCheckFailed" || reasons.some((r) => r.Code === "TransactionConflict")
  );
}

function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(100, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
