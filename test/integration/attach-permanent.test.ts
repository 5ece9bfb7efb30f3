// Failures that no retry can fix go to the dead-letter record at once, with a reason a person can act
// on, and without a single registry write: a digest the registry does not have, bytes that do not hash
// to the digest asked for, a registry that refuses us (403).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runAttachJob } from "../../lib/attach/job.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import {
  ALL_FORMATS,
  type AttachHarness,
  createAttachHarness,
  digestRequest,
  fallbackEntries,
} from "../support/attach/harness.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";
import { buildAndPushImage } from "../support/registry/images.ts";

let registry: RunningRegistry;
let proxy: FaultProxy;
let h: AttachHarness;
let image: Descriptor;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  h = await createAttachHarness();
  image = await buildAndPushImage(`${registry.host}/perm/app:v1`);
});

afterAll(async () => {
  await h?.close();
  await proxy?.stop();
  await registry?.stop();
});

beforeEach(() => {
  proxy.clear();
  h.reset();
});

/** Runs the job once (attempt 1 of 5) and checks it was dead-lettered, not retried. */
async function expectDeadAtOnce(digest: string): Promise<string> {
  const job = await h.job(digestRequest(proxy.host, "perm/app", digest));
  expect(await runAttachJob(job, h.deps({ maxAttempts: 5 }), 1)).toEqual({ kind: "done" });
  const stored = await h.store.getJob(job.jobId);
  expect(stored?.status).toBe("dead");
  expect(stored?.attempts).toBe(1);
  expect(stored?.finishedAt).toBeDefined();
  expect(stored?.lastError).not.toMatch(/gave up after/);
  return stored?.lastError ?? "";
}

describe("permanent failures", () => {
  it("manifest unknown: a digest the registry does not have", async () => {
    const missing = `sha256:${"0123456789abcdef".repeat(4)}`;
    const reason = await expectDeadAtOnce(missing);
    expect(reason).toMatch(
      /^RegistryError: manifest\.get: GET .*\/v2\/perm\/app\/manifests\/sha256:0123.* answered 404/,
    );
    expect(reason).toContain("MANIFEST_UNKNOWN");
    expect(h.writes()).toEqual([]);
  });

  it("bytes that do not match the digest (corrupted in transit or by the registry)", async () => {
    proxy.inject({ kind: "corrupt" }, 1, { method: "GET", path: new RegExp(`/manifests/${image.digest}$`) });
    const reason = await expectDeadAtOnce(image.digest);
    expect(proxy.requests.filter((r) => r.fault === "corrupt")).toHaveLength(1);
    expect(reason).toMatch(/^DigestMismatchError: manifest .*perm\/app@sha256:/);
    expect(reason).toContain(`expected ${image.digest}`);
    expect(h.writes()).toEqual([]);
    expect(
      await h.store.listSignatures({ registry: proxy.host, repository: "perm/app", digest: image.digest }),
    ).toEqual([]);
  });

  it("403 on every write: dead with the reason, each format failed, every claim released", async () => {
    proxy.inject({ kind: "status", status: 403 }, 1_000, { method: "PUT" });
    proxy.inject({ kind: "status", status: 403 }, 1_000, { method: "POST" });
    const reason = await expectDeadAtOnce(image.digest);
    expect(reason).toMatch(/^RegistryError: .* answered 403/);
    const job = (await h.store.listJobs({ status: "dead", limit: 500 })).find((j) => j.lastError === reason);
    for (const format of ALL_FORMATS) {
      expect(job?.outcomes[format]?.status, format).toBe("failed");
      expect(job?.outcomes[format]?.detail, format).toMatch(/403/);
      const key = {
        registry: proxy.host,
        repository: "perm/app",
        digest: image.digest,
        format,
        keyId: h.signer.keyId,
      };
      expect(await h.store.claimSignature(key, "probe", 60_000)).toBe("claimed");
      await h.store.releaseSignature(key, "probe");
    }
    // Only the refused attempts reached the proxy; none of them reached the registry.
    expect(
      proxy.requests.filter((r) => (r.method === "PUT" || r.method === "POST") && r.fault !== "status"),
    ).toEqual([]);
    expect(await fallbackEntries(registry.host, "perm/app", image.digest)).toEqual([]);
  });

  it("a job whose store record is gone is dropped, not retried or thrown", async () => {
    const result = await runAttachJob(
      { jobId: "no-such-job", request: digestRequest(proxy.host, "perm/app", image.digest) },
      h.deps(),
    );
    expect(result).toEqual({ kind: "done" });
    expect(h.sent).toEqual([]);
  });
});
