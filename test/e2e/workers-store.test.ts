// The Cloudflare Store (jobs and deliveries on D1, signature claims and subject leases on the
// SubjectCoordinator Durable Object) through the store conformance suite, running inside workerd: a
// test Worker (test/workers/store-worker.ts) bundled by wrangler and served by Miniflare exposes it,
// and each Node-side Store below is one HTTP client of it, as separate isolates would be.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobExistsError, JobNotFoundError, StoreError } from "../../lib/store/errors.ts";
import type { Store } from "../../lib/store/store.ts";
import { concurrentSections, describeStoreConformance } from "../support/store/conformance.ts";
import {
  buildWorkerBundle,
  type LocalWorker,
  projectRoot,
  startLocalWorker,
} from "../support/workers/local-worker.ts";

interface StoreWorker {
  readonly url: string;
  close(): Promise<void>;
}

async function startStoreWorker(): Promise<StoreWorker> {
  const dir = await mkdtemp(join(tmpdir(), "countersign-store-worker-"));
  const config = join(dir, "wrangler.toml");
  await writeFile(
    config,
    [
      'name = "countersign-store-test"',
      `main = ${JSON.stringify(join(projectRoot, "test/workers/store-worker.ts"))}`,
      'compatibility_date = "2026-08-01"',
      "[[d1_databases]]",
      'binding = "DB"',
      'database_name = "countersign"',
      'database_id = "00000000-0000-4000-8000-000000000000"',
      "[[durable_objects.bindings]]",
      'name = "SUBJECTS"',
      'class_name = "SubjectCoordinator"',
      "[[migrations]]",
      'tag = "v1"',
      'new_sqlite_classes = ["SubjectCoordinator"]',
      "",
    ].join("\n"),
  );
  const bundle = await buildWorkerBundle({ config });
  let worker: LocalWorker;
  try {
    worker = await startLocalWorker(bundle, { config });
  } catch (error) {
    await bundle.cleanup();
    throw error;
  }
  return {
    url: worker.url,
    async close() {
      await worker.dispose();
      await bundle.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const errorTypes: Record<string, new (message: string) => Error> = {
  JobExistsError: JobExistsError as unknown as new (message: string) => Error,
  JobNotFoundError: JobNotFoundError as unknown as new (message: string) => Error,
};

/** Calls one store method inside the Worker; store errors come back as the same classes. */
async function call(url: string, method: string, args: readonly unknown[]): Promise<unknown> {
  const response = await fetch(`${url}/${method}`, { method: "POST", body: JSON.stringify(args) });
  if (!response.ok) throw new Error(`store worker answered ${response.status} to ${method}`);
  const body = (await response.json()) as { value?: unknown; error?: { name: string; message: string } };
  if (body.error !== undefined) {
    const type = errorTypes[body.error.name];
    if (type === undefined) throw new StoreError(`${body.error.name}: ${body.error.message}`);
    const error = Object.create(type.prototype) as Error;
    Object.assign(error, { message: body.error.message, name: body.error.name });
    throw error;
  }
  return body.value;
}

/** A Store whose every method runs in the Worker. */
function remoteStore(url: string): Store & {
  acquireLockWaiting(key: string, owner: string, leaseMs: number, waitMs: number): Promise<boolean>;
} {
  const method =
    (name: string) =>
    (...args: unknown[]) =>
      call(url, name, args);
  return {
    createJob: method("createJob"),
    getJob: method("getJob"),
    updateJob: method("updateJob"),
    listJobs: method("listJobs"),
    claimSignature: method("claimSignature"),
    completeSignature: method("completeSignature"),
    releaseSignature: method("releaseSignature"),
    getSignature: method("getSignature"),
    listSignatures: method("listSignatures"),
    acquireLock: method("acquireLock"),
    acquireLockWaiting: method("acquireLockWaiting"),
    releaseLock: method("releaseLock"),
    seenDelivery: method("seenDelivery"),
    registryFacts: method("registryFacts"),
    rememberRegistryFacts: method("rememberRegistryFacts"),
  } as Store & {
    acquireLockWaiting(key: string, owner: string, leaseMs: number, waitMs: number): Promise<boolean>;
  };
}

describeStoreConformance("CloudflareStore: D1 + SubjectCoordinator Durable Object (workerd)", async () => {
  const worker = await startStoreWorker();
  return { stores: [remoteStore(worker.url), remoteStore(worker.url)], close: () => worker.close() };
});

describe("SubjectCoordinator leases, waiting inside the Durable Object", () => {
  let worker: StoreWorker;
  beforeAll(async () => {
    worker = await startStoreWorker();
  });
  afterAll(async () => {
    await worker?.close();
  });

  it("wakes a waiting acquirer when the holder releases, long before its lease would expire", async () => {
    const store = remoteStore(worker.url);
    const key = `subject-${crypto.randomUUID()}`;
    expect(await store.acquireLock(key, "holder", 30_000)).toBe(true);
    const started = Date.now();
    const waiting = store.acquireLockWaiting(key, "waiter", 30_000, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.releaseLock(key, "holder")).toBe(true);
    expect(await waiting).toBe(true);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(5_000);
    expect(await store.acquireLock(key, "third", 30_000)).toBe(false);
  });

  it("gives up after the wait, and takes over an expired lease without a release", async () => {
    const store = remoteStore(worker.url);
    const key = `subject-${crypto.randomUUID()}`;
    expect(await store.acquireLock(key, "holder", 30_000)).toBe(true);
    expect(await store.acquireLockWaiting(key, "waiter", 30_000, 200)).toBe(false);
    const crashed = `subject-${crypto.randomUUID()}`;
    expect(await store.acquireLock(crashed, "crashed", 300)).toBe(true);
    expect(await store.acquireLockWaiting(crashed, "next", 30_000, 5_000)).toBe(true);
  });

  it("serializes 20 critical sections of lib's lease protocol with waiting acquires", async () => {
    const store = remoteStore(worker.url);
    const key = `subject-${crypto.randomUUID()}`;
    const waitingStore = {
      acquireLock: (k: string, owner: string, leaseMs: number) =>
        store.acquireLockWaiting(k, owner, leaseMs, 2_000),
      releaseLock: (k: string, owner: string) => store.releaseLock(k, owner),
    };
    const { maxInside, counter } = await concurrentSections(
      () => waitingStore,
      key,
      (i) => 2 + (i % 3),
    );
    expect(maxInside).toBe(1);
    expect(counter).toBe(20);
  });
});
