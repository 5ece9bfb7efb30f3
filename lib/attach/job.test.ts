// runAttachJob's promise to its queue: it never throws, whatever the store or the wiring does. The
// registry paths are pinned against a real registry in test/integration/attach-*.test.ts.
import { describe, expect, it } from "vitest";
import { RegistryProfiles } from "../artifacts/profiles.ts";
import { InProcessSubjectLock } from "../oci/subject-lock.ts";
import type { Signer } from "../signing/signer.ts";
import { JobNotFoundError, StoreError } from "../store/errors.ts";
import type { Job, JobPatch, Store } from "../store/store.ts";
import type { AttachJob } from "./attach-job.ts";
import { type AttachDeps, runAttachJob } from "./job.ts";
import { UnconfiguredRegistryError } from "./registries.ts";

const JOB: AttachJob = {
  jobId: "job-1",
  request: { registry: "registry.evil.example", repository: "team/app", reference: "v1" },
};

/** A store holding one job; `fail` decides which updateJob calls throw. */
function fakeStore(fail: (patch: JobPatch, call: number) => Error | undefined) {
  const patches: JobPatch[] = [];
  let job: Job = {
    id: JOB.jobId,
    status: "queued",
    request: JOB.request,
    attempts: 0,
    outcomes: {},
    createdAt: "2025-01-01T00:00:00.000Z",
    updatedAt: "2025-01-01T00:00:00.000Z",
  };
  const unused = () => {
    throw new Error("not used by this test");
  };
  const store: Store = {
    async updateJob(_id, patch) {
      const error = fail(patch, patches.length);
      patches.push(patch);
      if (error !== undefined) throw error;
      job = {
        ...job,
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.attempts !== undefined && { attempts: patch.attempts }),
        ...(typeof patch.lastError === "string" && { lastError: patch.lastError }),
      };
      return job;
    },
    getJob: async () => job,
    createJob: unused,
    listJobs: unused,
    claimSignature: unused,
    completeSignature: unused,
    releaseSignature: unused,
    getSignature: unused,
    listSignatures: unused,
    acquireLock: unused,
    releaseLock: unused,
    seenDelivery: unused,
    registryFacts: unused,
    rememberRegistryFacts: unused,
  };
  return { store, patches, current: () => job };
}

function deps(store: Store, registry: AttachDeps["registry"]): AttachDeps {
  return {
    store,
    registry,
    profile: () => RegistryProfiles.oci11,
    signer: { keyId: "k" } as Signer,
    certificateChain: [],
    lock: new InProcessSubjectLock(),
    formats: ["notary"],
    signIndexChildren: true,
    maxAttempts: 3,
    backoff: { initialMs: 100, maxMs: 1_000, factor: 2 },
  };
}

const noRegistry: AttachDeps["registry"] = () => {
  throw new Error("the registry must not be reached");
};

describe("runAttachJob when the store or the wiring fails", () => {
  it("a store that fails at the start: retry within the budget, no registry request", async () => {
    const { store } = fakeStore(() => new StoreError("database is locked"));
    const result = await runAttachJob(JOB, deps(store, noRegistry), 1);
    expect(result.kind).toBe("retry");
    expect((result as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(50);
    expect((result as { delayMs: number }).delayMs).toBeLessThanOrEqual(100);
  });

  it("a store that fails at the start of the last attempt: done (the queue stops)", async () => {
    const { store } = fakeStore(() => new StoreError("database is locked"));
    expect(await runAttachJob(JOB, deps(store, noRegistry), 3)).toEqual({ kind: "done" });
  });

  it("a job whose record is gone: done, nothing else attempted", async () => {
    const { store, patches } = fakeStore(() => new JobNotFoundError(JOB.jobId));
    expect(await runAttachJob(JOB, deps(store, noRegistry), 1)).toEqual({ kind: "done" });
    expect(patches).toHaveLength(1);
  });

  it("a host no longer configured: dead with the reason", async () => {
    const { store, current } = fakeStore(() => undefined);
    const registry = (host: string) => {
      throw new UnconfiguredRegistryError(host);
    };
    expect(await runAttachJob(JOB, deps(store, registry), 1)).toEqual({ kind: "done" });
    expect(current().status).toBe("dead");
    expect(current().lastError).toBe(
      'UnconfiguredRegistryError: registry "registry.evil.example" is not configured',
    );
  });

  it("a store that fails while recording the failure: the run still returns", async () => {
    const { store } = fakeStore((patch) =>
      patch.status === "dead" ? new StoreError("disk full") : undefined,
    );
    const registry = (host: string) => {
      throw new UnconfiguredRegistryError(host);
    };
    // Recording failed transiently, within the budget: come back and record it then.
    const result = await runAttachJob(JOB, deps(store, registry), 1);
    expect(result.kind).toBe("retry");
  });
});
