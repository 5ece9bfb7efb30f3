// The attach job signing through KmsSigner (the real AWS SDK) against the KMS emulator while KMS
// throttles, as it does by design (DESIGN.md: about 300 ECC Sign calls per second): still exactly one
// successful Sign per signature written; and when the signer gives up, a clean retry of the job.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runAttachJob } from "../../lib/attach/job.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import {
  ALL_FORMATS,
  type AttachHarness,
  cosignLayerCount,
  createAttachHarness,
  digestRequest,
  fallbackEntries,
  verifyOnRegistry,
} from "../support/attach/harness.ts";
import { stubAwsEnvironment } from "../support/kms/client.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage } from "../support/registry/images.ts";

const BACKOFF = { initialMs: 100, maxMs: 1_000, factor: 2 };

let registry: RunningRegistry;
let emulator: KmsEmulator;
let h: AttachHarness;

beforeAll(async () => {
  stubAwsEnvironment();
  [registry, emulator] = await Promise.all([startRegistry(), startKmsEmulator()]);
  const key = await emulator.createKey("ECC_NIST_P256");
  const host = new URL(emulator.endpoint).host;
  // Two attempts per Sign call, fast: what is under test is the job around the signer.
  const signer = await KmsSigner.open(`awskms://${host}/${key.arn}`, {
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
  h = await createAttachHarness({ signer });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await h?.close();
  await emulator?.stop();
  await registry?.stop();
});

beforeEach(() => {
  h.reset();
  emulator.setThrottleEvery(undefined);
  emulator.resetCalls();
});

async function pushFresh(repository: string): Promise<Descriptor> {
  return buildAndPushImage(`${registry.host}/${repository}:v1`);
}

async function expectOneVerifiedSignatureEach(repository: string, subject: Descriptor): Promise<void> {
  expect(await fallbackEntries(registry.host, repository, subject.digest)).toHaveLength(2);
  expect(await cosignLayerCount(registry.host, repository, subject.digest)).toBe(1);
  for (const report of await verifyOnRegistry(registry.host, repository, subject, h)) {
    expect(report.signatures, report.format).toHaveLength(1);
    expect(report.verified, `${report.format}: ${report.signatures[0]?.detail}`).toBe(true);
  }
}

describe("an attach job signing with KMS", () => {
  it("every other Sign throttled: the signer's retries absorb it, one successful Sign per signature", async () => {
    const subject = await pushFresh("kms/throttled");
    emulator.setThrottleEvery(2);
    const job = await h.job(digestRequest(registry.host, "kms/throttled", subject.digest));
    expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });
    const stored = await h.store.getJob(job.jobId);
    expect(stored?.status).toBe("succeeded");
    for (const format of ALL_FORMATS) expect(stored?.outcomes[format]?.status).toBe("signed");
    const sign = emulator.calls.Sign;
    expect(sign.succeeded).toBe(3);
    expect(sign.failed).toBeGreaterThanOrEqual(1);
    expect(sign.received).toBe(sign.succeeded + sign.failed);
    expect(emulator.requests.filter((r) => r.errorType === "ThrottlingException").length).toBe(sign.failed);
    await expectOneVerifiedSignatureEach("kms/throttled", subject);
  });

  it("throttled past the signer's attempts: the job retries cleanly and the next attempt signs once", async () => {
    const subject = await pushFresh("kms/giveup");
    // Two attempts for each of the three formats, all throttled.
    emulator.injectFaults("Sign", Array(6).fill("ThrottlingException"));
    const job = await h.job(digestRequest(registry.host, "kms/giveup", subject.digest));
    const deps = h.deps({ maxAttempts: 3, backoff: BACKOFF });
    const first = await runAttachJob(job, deps, 1);
    expect(first.kind).toBe("retry");
    const failed = await h.store.getJob(job.jobId);
    expect(failed?.status).toBe("failed");
    expect(failed?.lastError).toMatch(/^KmsError: .*ThrottlingException/);
    for (const format of ALL_FORMATS) expect(failed?.outcomes[format]?.status).toBe("failed");
    expect(emulator.calls.Sign).toEqual({ received: 6, succeeded: 0, failed: 6 });
    // Nothing reached the registry: signing comes before any write of that signature.
    expect(h.writes().filter((w) => w.method === "PUT" && w.path.includes("/manifests/"))).toEqual([]);

    expect(await runAttachJob(job, deps, 2)).toEqual({ kind: "done" });
    expect(emulator.calls.Sign.succeeded).toBe(3);
    expect(
      (
        await h.store.listSignatures({
          registry: registry.host,
          repository: "kms/giveup",
          digest: subject.digest,
        })
      ).map((r) => r.keyId),
    ).toEqual([h.signer.keyId, h.signer.keyId, h.signer.keyId]);
    await expectOneVerifiedSignatureEach("kms/giveup", subject);
  });
});
