// DynamoDbStore through the real AWS SDK v3 client against the DynamoDB emulator (JSON 1.0 protocol,
// real condition evaluation, the service's error shapes): the conformance suite every store passes,
// then what is DynamoDB's own: which requests are conditional, TTL attributes, lazy TTL, pagination,
// optimistic concurrency on jobs, the ConditionalCheckFailed → "busy" mapping, IAM coverage.
// Why an emulator and not the suite alone: the suite needs a backend, and DynamoDB Local (a Java
// download from AWS, or a container image) is outside what tests may fetch; the emulator runs on
// loopback, lets the real SDK serialize requests and parse errors, and records every request, so the
// tests can assert what the store asked DynamoDB for, which the suite alone cannot see.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbApi, openDynamoDbStore } from "../../functions/aws/dynamodb-store.ts";
import { STORE_ACTIONS } from "../../infra/access-policy.ts";
import { JOB_TABLE_ATTRIBUTES } from "../../infra/job-table.ts";
import type { DynamoDbApi } from "../../lib/store/dynamodb/api.ts";
import { KEY_ATTRIBUTES, TTL_ATTRIBUTE } from "../../lib/store/dynamodb/keys.ts";
import { DEFAULT_JOB_RETENTION_MS, DynamoDbStore } from "../../lib/store/dynamodb/store.ts";
import { StoreError } from "../../lib/store/errors.ts";
import type { SignatureKey } from "../../lib/store/store.ts";
import { createJobTable, emulatorDynamoDbClient } from "../support/dynamodb/client.ts";
import {
  type DynamoDbEmulator,
  type Item,
  numberOf,
  startDynamoDbEmulator,
  textOf,
} from "../support/dynamodb/emulator.ts";
import { describeStoreConformance } from "../support/store/conformance.ts";

const TABLE = "countersign-jobs";

describeStoreConformance("DynamoDB (emulator, AWS SDK v3, two clients, 3-item Query pages)", async () => {
  // Small pages, so every listing in the suite also walks LastEvaluatedKey.
  const emulator = await startDynamoDbEmulator({ queryPageSize: 3 });
  const clients = [emulatorDynamoDbClient(emulator), emulatorDynamoDbClient(emulator)];
  await createJobTable(clients[0]!, TABLE, JOB_TABLE_ATTRIBUTES);
  return {
    // Two SDK clients, as two Lambda instances would have.
    stores: clients.map((client) => openDynamoDbStore({ client, tableName: TABLE })),
    close: async () => {
      for (const client of clients) client.destroy();
      await emulator.stop();
    },
  };
});

const DIGEST = `sha256:${"ab".repeat(32)}`;
const RESULT = {
  signatureDigest: `sha256:${"cd".repeat(32)}`,
  artifactType: "application/vnd.cncf.notary.signature",
  createdAt: "2026-01-02T03:04:05Z",
};

function signatureKey(overrides: Partial<SignatureKey> = {}): SignatureKey {
  return {
    registry: "127.0.0.1:5000",
    repository: `team/${crypto.randomUUID()}`,
    digest: DIGEST,
    format: "notary",
    keyId: "key-1",
    ...overrides,
  };
}

describe("DynamoDbStore on the emulator", () => {
  let emulator: DynamoDbEmulator;
  let client: DynamoDBClient;
  let store: DynamoDbStore;

  beforeAll(async () => {
    emulator = await startDynamoDbEmulator({ queryPageSize: 2 });
    client = emulatorDynamoDbClient(emulator, { maxAttempts: 1 });
    await createJobTable(client, TABLE, JOB_TABLE_ATTRIBUTES);
    store = new DynamoDbStore({ api: dynamoDbApi(client), tableName: TABLE });
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });

  /** One call of every store method, on a fresh call log. */
  const workload = async (): Promise<void> => {
    emulator.resetCalls();
    const key = signatureKey();
    expect(await store.claimSignature(key, "w1", 30_000)).toBe("claimed");
    await store.completeSignature(key, RESULT);
    expect(await store.releaseSignature(key, "w1")).toBe(false);
    await store.getSignature(key);
    await store.listSignatures(key);
    expect(await store.acquireLock("subject-a", "w1", 30_000)).toBe(true);
    expect(await store.releaseLock("subject-a", "w1")).toBe(true);
    await store.seenDelivery("github", crypto.randomUUID(), 60_000);
    const job = await store.createJob({
      request: { registry: "ghcr.io", repository: "o/a", reference: "v1" },
    });
    await store.updateJob(job.id, { status: "running" });
    await store.listJobs({ status: "running" });
  };

  const stored = (pk: string, sk?: string): Item[] =>
    emulator
      .items(TABLE)
      .filter((item) => textOf(item.pk) === pk && (sk === undefined || textOf(item.sk) === sk));

  it("uses the key and TTL attribute names the CDK stack gives the table", () => {
    expect(KEY_ATTRIBUTES).toEqual({
      partition: JOB_TABLE_ATTRIBUTES.partitionKey,
      sort: JOB_TABLE_ATTRIBUTES.sortKey,
    });
    expect(TTL_ATTRIBUTE).toBe(JOB_TABLE_ATTRIBUTES.expiresAt);
  });

  it("makes every write conditional where it must be, reads strongly consistent, and names no attribute raw", async () => {
    await workload();
    const calls = emulator.calls;
    expect(new Set(calls.map((c) => c.operation))).toEqual(
      new Set(["PutItem", "DeleteItem", "GetItem", "Query", "TransactWriteItems"]),
    );
    for (const call of calls.filter((c) => c.operation === "PutItem" || c.operation === "DeleteItem")) {
      expect(call.input.ConditionExpression, JSON.stringify(call.input)).toEqual(expect.any(String));
    }
    for (const call of calls.filter((c) => c.operation === "GetItem" || c.operation === "Query")) {
      expect(call.input.ConsistentRead, call.operation).toBe(true);
    }
    // The job item of each transaction is guarded: absent on create, unchanged revision on update.
    const transactions = calls.filter((c) => c.operation === "TransactWriteItems");
    const guards = transactions.map((c) => {
      const items = c.input.TransactItems as { Put?: { ConditionExpression?: string } }[];
      return items[0]?.Put?.ConditionExpression;
    });
    expect(guards).toEqual(["attribute_not_exists(#pk) OR #expiresAt <= :now", "#revision = :revision"]);
    // Every attribute goes through a #placeholder: no reserved word (STATUS, STATE, …) can break a request.
    const expressions = calls.flatMap((c) => expressionsOf(c.input));
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    for (const expression of expressions) {
      const bare = expression
        .replace(/[#:][A-Za-z0-9_]+/g, "")
        .replace(/\b(attribute_not_exists|AND|OR|NOT)\b/g, "")
        .replace(/[\s()=<>]/g, "");
      expect(bare, expression).toBe("");
    }
  });

  it("calls only what the Lambda role is granted (infra STORE_ACTIONS)", async () => {
    await workload();
    // A transaction's items are authorized as the single-item actions they are (developer guide,
    // "Using IAM with DynamoDB transactions"): no dynamodb:TransactWriteItems action exists.
    const needed = emulator.calls.flatMap((call) =>
      call.operation === "TransactWriteItems"
        ? (call.input.TransactItems as Record<string, unknown>[]).map((item) => {
            const kind = Object.keys(item)[0];
            return kind === "ConditionCheck" ? "dynamodb:ConditionCheckItem" : `dynamodb:${kind}Item`;
          })
        : [`dynamodb:${call.operation}`],
    );
    expect(needed.length).toBeGreaterThan(0);
    for (const action of new Set(needed)) expect(STORE_ACTIONS as readonly string[]).toContain(action);
  });

  it("answers busy when the claim's conditional put fails, done once completed", async () => {
    const key = signatureKey({ format: "cosign" });
    expect(await store.claimSignature(key, "holder", 30_000)).toBe("claimed");
    emulator.resetCalls();
    expect(await store.claimSignature(key, "other", 30_000)).toBe("busy");
    expect(emulator.calls.map((c) => [c.operation, c.errorType])).toEqual([
      ["PutItem", "ConditionalCheckFailedException"],
    ]);
    await store.completeSignature(key, RESULT);
    emulator.resetCalls();
    expect(await store.claimSignature(key, "other", 30_000)).toBe("done");
    // One round trip: the failed check returned the item (ReturnValuesOnConditionCheckFailure).
    expect(emulator.calls).toHaveLength(1);
  });

  it("reads the item back when the service's ConditionalCheckFailed carries none", async () => {
    // DynamoDB-compatible backends without ReturnValuesOnConditionCheckFailure (older DynamoDB Local).
    const stripped = new DynamoDbStore({ api: withoutFailedItems(dynamoDbApi(client)), tableName: TABLE });
    const key = signatureKey({ format: "bundle" });
    expect(await stripped.claimSignature(key, "holder", 30_000)).toBe("claimed");
    expect(await stripped.claimSignature(key, "other", 30_000)).toBe("busy");
    const first = await stripped.completeSignature(key, RESULT);
    const second = await stripped.completeSignature(key, {
      ...RESULT,
      signatureDigest: `sha256:${"ef".repeat(32)}`,
    });
    expect(second).toEqual(first);
    expect(await stripped.claimSignature(key, "other", 30_000)).toBe("done");
  });

  it("sets the TTL attribute on history, claims, leases and deliveries, never on a done signature", async () => {
    const before = Date.now();
    const job = await store.createJob({
      request: { registry: "ghcr.io", repository: "o/ttl", reference: "v1" },
    });
    const key = signatureKey();
    await store.claimSignature(key, "w", 60_000);
    await store.acquireLock("subject-ttl", "w", 45_000);
    const delivery = crypto.randomUUID();
    await store.seenDelivery("quay", delivery, 120_000);
    const after = Date.now();

    const retention = DEFAULT_JOB_RETENTION_MS / 1000;
    const [jobItem] = stored(`JOB#${job.id}`);
    const [indexItem] = stored("JOBS#queued", `${job.createdAt}#${job.id}`);
    for (const item of [jobItem, indexItem]) {
      expect(numberOf(item?.expiresAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) + retention);
      expect(numberOf(item?.expiresAt)).toBeLessThanOrEqual(Math.ceil(after / 1000) + retention);
    }
    const [claim] = emulator.items(TABLE).filter((i) => textOf(i.repository) === key.repository);
    expect(numberOf(claim?.expiresAt)).toBe(Math.ceil(numberOf(claim?.leaseUntil)! / 1000));
    const [lock] = stored("LOCK#subject-ttl");
    expect(numberOf(lock?.expiresAt)).toBe(Math.ceil(numberOf(lock?.leaseUntil)! / 1000));
    expect(numberOf(lock?.leaseUntil)! - before).toBeGreaterThanOrEqual(45_000);
    const [seen] = stored(`DELIVERY#quay#${delivery}`);
    expect(numberOf(seen?.expiresAt)).toBe(Math.ceil(numberOf(seen?.seenUntil)! / 1000));

    await store.completeSignature(key, RESULT);
    const [done] = emulator.items(TABLE).filter((i) => textOf(i.repository) === key.repository);
    expect(done).toMatchObject({ state: { S: "done" } });
    expect(done).not.toHaveProperty("expiresAt");
    expect(done).not.toHaveProperty("owner");
    expect(done).not.toHaveProperty("leaseUntil");
  });

  it("treats history past its retention as gone before TTL deletes it, and after", async () => {
    let now = Date.parse("2026-03-01T00:00:00.000Z");
    const clocked = new DynamoDbStore({
      api: dynamoDbApi(client),
      tableName: TABLE,
      now: () => now,
      jobRetentionMs: 60_000,
    });
    const id = `job-${crypto.randomUUID()}`;
    const request = { registry: "ghcr.io", repository: "o/expiring", reference: "v1" };
    await clocked.createJob({ id, request, status: "dead" });
    expect((await clocked.listJobs({ status: "dead", limit: 500 })).map((j) => j.id)).toContain(id);

    now += 61_000; // past retention; the items are still in the table (TTL is lazy)
    expect(stored(`JOB#${id}`)).toHaveLength(1);
    expect(await clocked.getJob(id)).toBeUndefined();
    expect((await clocked.listJobs({ status: "dead", limit: 500 })).map((j) => j.id)).not.toContain(id);
    await expect(clocked.updateJob(id, { attempts: 2 })).rejects.toThrow(/not found/);
    const again = await clocked.createJob({ id, request }); // the id is free again
    expect(again.status).toBe("queued");

    expect(emulator.expireItems(now / 1000 + 3_600)).toBeGreaterThan(0); // TTL catches up
    expect(stored(`JOB#${id}`)).toHaveLength(0);
    expect(await clocked.getJob(id)).toBeUndefined();
  });

  it("keeps exactly one index item per job, under its current status", async () => {
    const job = await store.createJob({
      request: { registry: "ghcr.io", repository: "o/index", reference: "v1" },
    });
    for (const status of ["running", "failed", "running", "succeeded"] as const) {
      await store.updateJob(job.id, { status });
    }
    const indexItems = emulator
      .items(TABLE)
      .filter((i) => textOf(i.pk)?.startsWith("JOBS#") && textOf(i.id) === job.id);
    expect(indexItems.map((i) => textOf(i.pk))).toEqual(["JOBS#succeeded"]);
    expect(indexItems[0]).toMatchObject({
      status: { S: "succeeded" },
      sk: { S: `${job.createdAt}#${job.id}` },
    });
  });

  it("loses no update when eight writers patch one job at once (optimistic concurrency)", async () => {
    const job = await store.createJob({
      request: { registry: "ghcr.io", repository: "o/race", reference: "v1" },
    });
    const writers = Array.from({ length: 8 }, (_, i) => `format-${i}`);
    // Hold the first eight transactions until all eight are sent: every writer has read the same
    // revision, so all but one must lose the race and retry.
    const racing = new DynamoDbStore({
      api: barrierOnTransactions(dynamoDbApi(client), 8),
      tableName: TABLE,
    });
    emulator.resetCalls();
    await Promise.all(
      writers.map((format) =>
        racing.updateJob(job.id, {
          outcomes: { [format]: { status: "signed", at: "2026-01-01T00:00:00Z" } },
        }),
      ),
    );
    const final = await store.getJob(job.id);
    expect(Object.keys(final!.outcomes).sort()).toEqual(writers);
    const lost = emulator.calls.filter((c) => c.errorType === "TransactionCanceledException");
    expect(lost.length).toBeGreaterThanOrEqual(7);
  });

  it("pages through a subject's signatures and a status's jobs (LastEvaluatedKey)", async () => {
    const base = signatureKey();
    const keyIds = Array.from({ length: 5 }, (_, i) => `key-${i}`);
    for (const keyId of keyIds) await store.completeSignature({ ...base, keyId }, RESULT);
    emulator.resetCalls();
    const listed = await store.listSignatures(base);
    expect(listed.map((r) => r.keyId).sort()).toEqual(keyIds);
    const queries = emulator.calls.filter((c) => c.operation === "Query");
    expect(queries.length).toBe(3); // pages of 2, 2, 1
    expect(queries.slice(1).every((q) => q.input.ExclusiveStartKey !== undefined)).toBe(true);
  });

  it("keeps keys apart that only a separator would tell apart", async () => {
    const digest = `sha256:${"12".repeat(32)}`;
    const a = signatureKey({ repository: "team/a@b", digest });
    const b = { ...a, repository: "team/a", digest: `b@${digest}` };
    await store.completeSignature(a, RESULT);
    expect(await store.getSignature(b)).toBeUndefined();
    expect(await store.claimSignature(b, "w", 30_000)).toBe("claimed");
    const c = signatureKey({ format: "notary", keyId: "x#y" });
    const d = { ...c, format: "notary#x" as SignatureKey["format"], keyId: "y" };
    await store.completeSignature(c, RESULT);
    expect(await store.getSignature(d)).toBeUndefined();
    expect(await store.seenDelivery("a#b", "c", 60_000)).toBe(false);
    expect(await store.seenDelivery("a", "b#c", 60_000)).toBe(false);
  });

  it("wraps a service failure in StoreError with the SDK's exception as cause", async () => {
    emulator.injectFaults("PutItem", ["InternalServerError"]);
    const failure = await store.acquireLock("subject-fault", "w", 30_000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).cause).toMatchObject({ name: "InternalServerError" });
    expect(await store.acquireLock("subject-fault", "w", 30_000)).toBe(true);
  });
});

/** The expressions of a request, wherever they sit (top level or inside TransactItems). */
function expressionsOf(input: Readonly<Record<string, unknown>>): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") {
      for (const [name, member] of Object.entries(value)) {
        if (name.endsWith("Expression") && typeof member === "string") found.push(member);
        else visit(member);
      }
    }
  };
  visit(input);
  return found;
}

function withoutFailedItems(api: DynamoDbApi): DynamoDbApi {
  const strip = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (error) {
      if (error && typeof error === "object" && "Item" in error) delete (error as { Item?: unknown }).Item;
      throw error;
    }
  };
  return {
    ...api,
    putItem: (input) => strip(api.putItem(input)),
    deleteItem: (input) => strip(api.deleteItem(input)),
  };
}

function barrierOnTransactions(api: DynamoDbApi, parties: number): DynamoDbApi {
  let arrived = 0;
  let release: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    ...api,
    transactWriteItems: async (input) => {
      if (arrived < parties) {
        arrived++;
        if (arrived === parties) release();
        await all;
      }
      return api.transactWriteItems(input);
    },
  };
}
