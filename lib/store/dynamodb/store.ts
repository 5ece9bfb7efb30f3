// The Store on DynamoDB, for AWS Lambda (infra/job-table.ts defines the table). Every claim, lease
// and dedupe is one conditional PutItem or DeleteItem, so the check and the write are one atomic step
// on one item, as the SQL store's upserts are; `ConditionalCheckFailedException` is the "someone else
// got there" answer. Lease times are epoch milliseconds from the caller's clock, never DynamoDB's, and
// items that can lapse also carry the TTL attribute so DynamoDB eventually deletes them; since TTL is
// lazy (items linger for days), every read and condition compares the times itself.
//
// The client is injected as DynamoDbApi (./api.ts), so lib stays free of the AWS SDK:
// functions/aws/dynamodb-store.ts builds one from @aws-sdk/client-dynamodb.

import { StoreError } from "../errors.ts";
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
import { conditionFailure, type DynamoDbApi, type Item, type ItemOutput } from "./api.ts";
import {
  itemKey,
  keyItem,
  num,
  readString,
  signatureKeyAttributes,
  signatureResultAttributes,
  str,
  toSignature,
  ttlSeconds,
} from "./items.ts";
import { DynamoDbJobs } from "./jobs.ts";
import {
  deliveryKey,
  type ItemKey,
  KEY_ATTRIBUTES,
  lockKey,
  registryFactsKey,
  signatureItemKey,
  subjectPartition,
  TTL_ATTRIBUTE,
} from "./keys.ts";

export interface DynamoDbStoreOptions {
  readonly api: DynamoDbApi;
  readonly tableName: string;
  /** Epoch milliseconds; leases and timestamps come from here. */
  readonly now?: () => number;
  /** How long a job is kept after its last update before TTL deletes it. Default 30 days. */
  readonly jobRetentionMs?: number;
  /** Read-patch-write rounds of `updateJob` under contention before a StoreError. Default 10. */
  readonly updateAttempts?: number;
}

export const DEFAULT_JOB_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

// Placeholders for every attribute an expression names: no reserved word (DynamoDB reserves
// hundreds, STATUS and STATE among them) can ever break a request.
const NAMES = {
  "#pk": KEY_ATTRIBUTES.partition,
  "#state": "state",
  "#owner": "owner",
  "#leaseUntil": "leaseUntil",
  "#seenUntil": "seenUntil",
} as const;

const PENDING = str("pending");
const DONE = str("done");

export class DynamoDbStore implements Store {
  readonly #api: DynamoDbApi;
  readonly #table: string;
  readonly #now: () => number;
  readonly #jobs: DynamoDbJobs;

  constructor(options: DynamoDbStoreOptions) {
    this.#api = options.api;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
    this.#jobs = new DynamoDbJobs({
      api: options.api,
      tableName: options.tableName,
      now: this.#now,
      retentionMs: options.jobRetentionMs ?? DEFAULT_JOB_RETENTION_MS,
      updateAttempts: options.updateAttempts ?? 10,
    });
  }

  createJob(job: NewJob): Promise<Job> {
    return this.#guard("createJob", () => this.#jobs.create(job));
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.#guard("getJob", () => this.#jobs.get(id));
  }

  updateJob(id: string, patch: JobPatch): Promise<Job> {
    return this.#guard("updateJob", () => this.#jobs.update(id, patch));
  }

  listJobs(query: JobQuery = {}): Promise<Job[]> {
    return this.#guard("listJobs", () => this.#jobs.list(query));
  }

  async claimSignature(key: SignatureKey, owner: string, leaseMs: number): Promise<ClaimResult> {
    checkLease(leaseMs);
    return this.#guard("claimSignature", async () => {
      // A record released between our failed claim and a read-back looks absent: claim again (bounded).
      for (let attempt = 0; attempt < 3; attempt++) {
        const now = this.#now();
        const failed = await this.#conditionalPut(
          {
            ...keyItem(signatureItemKey(key)),
            ...signatureKeyAttributes(key),
            state: PENDING,
            owner: str(owner),
            leaseUntil: num(now + leaseMs),
            // An abandoned claim is as good as absent once its lease ends: TTL may then delete it.
            [TTL_ATTRIBUTE]: ttlSeconds(now + leaseMs),
          },
          // Claimed when absent, when the pending lease expired, or when the same owner renews; never once done.
          "attribute_not_exists(#pk) OR (#state = :pending AND (#leaseUntil <= :now OR #owner = :owner))",
          { ":pending": PENDING, ":now": num(now), ":owner": str(owner) },
        );
        if (failed === undefined) return "claimed";
        const existing = failed.item ?? (await this.#getItem(keyItem(signatureItemKey(key))));
        if (existing !== undefined) return readString(existing, "state") === "done" ? "done" : "busy";
      }
      return "busy";
    });
  }

  async completeSignature(key: SignatureKey, result: SignatureResult): Promise<SignatureRecord> {
    return this.#guard("completeSignature", async () => {
      const done: Item = {
        ...keyItem(signatureItemKey(key)),
        ...signatureKeyAttributes(key),
        ...signatureResultAttributes(result),
        state: DONE,
      };
      // The whole item is replaced, so the claim's owner, lease and TTL go with it: a done record
      // is an idempotency record and is kept for good.
      const failed = await this.#conditionalPut(done, "attribute_not_exists(#pk) OR #state = :pending", {
        ":pending": PENDING,
      });
      if (failed === undefined) return toSignature(done);
      // The first completion wins: return the record that beat us.
      const winner = failed.item ?? (await this.#getItem(keyItem(signatureItemKey(key))));
      if (winner === undefined) throw new StoreError("a completed signature record vanished");
      return toSignature(winner);
    });
  }

  async releaseSignature(key: SignatureKey, owner: string): Promise<boolean> {
    return this.#guard("releaseSignature", () =>
      this.#conditionalDelete(signatureItemKey(key), "#state = :pending AND #owner = :owner", {
        ":pending": PENDING,
        ":owner": str(owner),
      }),
    );
  }

  async getSignature(key: SignatureKey): Promise<SignatureRecord | undefined> {
    return this.#guard("getSignature", async () => {
      const item = await this.#getItem(keyItem(signatureItemKey(key)));
      return item !== undefined && readString(item, "state") === "done" ? toSignature(item) : undefined;
    });
  }

  async listSignatures(subject: SubjectQuery): Promise<SignatureRecord[]> {
    return this.#guard("listSignatures", async () => {
      const records: SignatureRecord[] = [];
      let start: Item | undefined;
      do {
        const page = await this.#api.query({
          TableName: this.#table,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": KEY_ATTRIBUTES.partition },
          ExpressionAttributeValues: { ":pk": str(subjectPartition(subject)) },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        });
        for (const item of page.Items ?? []) {
          if (readString(item, "state") === "done") records.push(toSignature(item));
        }
        start = page.LastEvaluatedKey === undefined ? undefined : keyItem(itemKey(page.LastEvaluatedKey));
      } while (start !== undefined);
      return records;
    });
  }

  async acquireLock(subjectKey: string, owner: string, leaseMs: number): Promise<boolean> {
    checkLease(leaseMs);
    const now = this.#now();
    const failed = await this.#guard("acquireLock", () =>
      this.#conditionalPut(
        {
          ...keyItem(lockKey(subjectKey)),
          owner: str(owner),
          leaseUntil: num(now + leaseMs),
          [TTL_ATTRIBUTE]: ttlSeconds(now + leaseMs),
        },
        "attribute_not_exists(#pk) OR #leaseUntil <= :now OR #owner = :owner",
        { ":now": num(now), ":owner": str(owner) },
      ),
    );
    return failed === undefined;
  }

  async releaseLock(subjectKey: string, owner: string): Promise<boolean> {
    return this.#guard("releaseLock", () =>
      this.#conditionalDelete(lockKey(subjectKey), "#owner = :owner", { ":owner": str(owner) }),
    );
  }

  async seenDelivery(source: string, deliveryId: string, ttlMs: number): Promise<boolean> {
    checkLease(ttlMs);
    const now = this.#now();
    const failed = await this.#guard("seenDelivery", () =>
      this.#conditionalPut(
        {
          ...keyItem(deliveryKey(source, deliveryId)),
          seenUntil: num(now + ttlMs),
          [TTL_ATTRIBUTE]: ttlSeconds(now + ttlMs),
        },
        // New when absent or when the earlier sighting has lapsed (whether or not TTL deleted it).
        "attribute_not_exists(#pk) OR #seenUntil <= :now",
        { ":now": num(now) },
      ),
    );
    return failed !== undefined;
  }

  async registryFacts(registry: string): Promise<RegistryFacts | undefined> {
    const item = await this.#guard("registryFacts", () => this.#getItem(keyItem(registryFactsKey(registry))));
    // TTL deletion lags by up to days: the item's own expiry decides.
    if (item === undefined || Number(item.factsUntil?.N ?? 0) <= this.#now()) return undefined;
    return JSON.parse(item.facts?.S ?? "{}") as RegistryFacts;
  }

  async rememberRegistryFacts(registry: string, facts: RegistryFacts, ttlMs: number): Promise<void> {
    checkLease(ttlMs);
    const until = this.#now() + ttlMs;
    await this.#guard("rememberRegistryFacts", () =>
      this.#api.putItem({
        TableName: this.#table,
        Item: {
          ...keyItem(registryFactsKey(registry)),
          facts: str(JSON.stringify(facts)),
          factsUntil: num(until),
          [TTL_ATTRIBUTE]: ttlSeconds(until),
        },
      }),
    );
  }

  /** Undefined when written; the failed check (with the current item, when sent) otherwise. */
  async #conditionalPut(
    item: Item,
    condition: string,
    values: Item,
  ): Promise<{ readonly item?: ItemOutput } | undefined> {
    try {
      await this.#api.putItem({
        TableName: this.#table,
        Item: item,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesIn(condition),
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      });
      return undefined;
    } catch (error) {
      const failure = conditionFailure(error);
      if (failure === undefined) throw error;
      return failure;
    }
  }

  async #conditionalDelete(key: ItemKey, condition: string, values: Item): Promise<boolean> {
    try {
      await this.#api.deleteItem({
        TableName: this.#table,
        Key: keyItem(key),
        ConditionExpression: condition,
        ExpressionAttributeNames: namesIn(condition),
        ExpressionAttributeValues: values,
      });
      return true;
    } catch (error) {
      if (conditionFailure(error) !== undefined) return false;
      throw error;
    }
  }

  async #getItem(key: Item): Promise<ItemOutput | undefined> {
    const { Item: item } = await this.#api.getItem({
      TableName: this.#table,
      Key: key,
      ConsistentRead: true,
    });
    return item;
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

/** The placeholders a condition uses: DynamoDB rejects a request that defines one it does not use. */
function namesIn(condition: string): Record<string, string> {
  const used = new Set(condition.match(/#\w+/g));
  return Object.fromEntries(Object.entries(NAMES).filter(([placeholder]) => used.has(placeholder)));
}

function checkLease(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new StoreError(`a lease or TTL must be a positive integer of milliseconds, got ${ms}`);
  }
}
