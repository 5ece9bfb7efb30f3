// What the fault runs share (test/integration/attach-chaos.test.ts, bench/hostile.ts): a workload of
// multi-platform images pushed straight to the registry, a queue that runs attach jobs to the end as
// a real one would (retry after the job's backoff, up to its attempts), and an audit of what ended up
// on the registry: every subject signed once in every format, every tag-schema entry pointing at a
// manifest that exists.
import type { AttachJob } from "../../../lib/attach/attach-job.ts";
import { type AttachDeps, runAttachJob } from "../../../lib/attach/job.ts";
import type { Descriptor } from "../../../lib/oci/descriptor.ts";
import { MediaType } from "../../../lib/oci/media-types.ts";
import { RegistryClient } from "../../../lib/oci/remote/registry.ts";
import type { Repository } from "../../../lib/oci/remote/repository.ts";
import type { Job } from "../../../lib/store/store.ts";
import type { Fault } from "../registry/fault-proxy.ts";
import {
  type AttachHarness,
  cosignLayerCount,
  digestRequest,
  fallbackEntries,
  verifyOnRegistry,
} from "./harness.ts";

/**
 * The faults a chaos run draws from: a connection reset before the request arrives, a 503, a body cut
 * short, and two after the registry acted (the answer lost, or a 500 in its place).
 */
export const ChaosFaults: readonly Fault[] = [
  { kind: "reset" },
  { kind: "status", status: 503 },
  { kind: "cut", afterBytes: 16 },
  { kind: "lost" },
  { kind: "status-after", status: 500 },
];

export interface PushedIndex {
  readonly repository: string;
  readonly index: Descriptor;
  readonly children: readonly Descriptor[];
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function blob(repository: Repository, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const descriptor = { mediaType, digest: await digest(bytes), size: bytes.length };
  await repository.pushBlob(descriptor, bytes);
  return descriptor;
}

async function digest(bytes: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return `sha256:${Buffer.from(hash).toString("hex")}`;
}

/** One platform image: a config and a layer of its own, so every image is a distinct subject. */
async function pushPlatformImage(repository: Repository, architecture: string): Promise<Descriptor> {
  const config = await blob(
    repository,
    encode({
      architecture,
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
      nonce: crypto.randomUUID(),
    }),
    MediaType.OciConfig,
  );
  const layer = await blob(
    repository,
    crypto.getRandomValues(new Uint8Array(512)),
    "application/vnd.oci.image.layer.v1.tar",
  );
  const bytes = encode({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] });
  return (await repository.pushManifest(bytes, MediaType.OciManifest)).descriptor;
}

/** `count` repositories `<prefix>/<n>`, each with a two-platform index tagged v1 (three subjects each). */
export async function pushIndexes(host: string, prefix: string, count: number): Promise<PushedIndex[]> {
  const client = new RegistryClient(host);
  const pushed: PushedIndex[] = [];
  for (let n = 0; n < count; n++) {
    const name = `${prefix}/${n}`;
    const repository = client.repository(name);
    const children = [
      await pushPlatformImage(repository, "amd64"),
      await pushPlatformImage(repository, "arm64"),
    ];
    const bytes = encode({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: children.map((child, i) => ({
        ...child,
        platform: { os: "linux", architecture: i === 0 ? "amd64" : "arm64" },
      })),
    });
    const index = (await repository.pushManifest(bytes, MediaType.OciIndex, "v1")).descriptor;
    pushed.push({ repository: name, index, children });
  }
  return pushed;
}

/**
 * Runs every job to its end as a queue would: a `retry` comes back after its delay with the next
 * attempt number, `done` ends it. At most `concurrency` attempts at once. Returns the attempts taken.
 */
export async function runLikeAQueue(
  jobs: readonly AttachJob[],
  deps: AttachDeps,
  concurrency = 4,
): Promise<Map<string, number>> {
  const attempts = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      for (let attempt = 1; ; attempt++) {
        attempts.set(job.jobId, attempt);
        const result = await runAttachJob(job, deps, attempt);
        if (result.kind === "done") break;
        await new Promise((resolve) => setTimeout(resolve, result.delayMs));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return attempts;
}

/** Jobs for every index pushed, addressed through `host` (the fault proxy). */
export async function indexJobs(
  h: AttachHarness,
  host: string,
  pushed: readonly PushedIndex[],
): Promise<AttachJob[]> {
  return Promise.all(pushed.map((p) => h.job(digestRequest(host, p.repository, p.index.digest))));
}

export interface SubjectAudit {
  readonly repository: string;
  readonly digest: string;
  /** Formats with exactly one signature that verifies. */
  readonly signedFormats: readonly string[];
  /** Signatures beyond the first, summed over the formats. */
  readonly duplicates: number;
  /** Tag-schema index entries naming a manifest the registry does not have. */
  readonly dangling: number;
}

/** What a verifier finds for one subject, read straight from the registry (not through the proxy). */
export async function auditSubject(
  registryHost: string,
  repository: string,
  subject: Descriptor,
  h: Pick<AttachHarness, "signer" | "certificateChain">,
): Promise<SubjectAudit> {
  const reports = await verifyOnRegistry(registryHost, repository, subject, h);
  const entries = await fallbackEntries(registryHost, repository, subject.digest);
  const repo = new RegistryClient(registryHost).repository(repository);
  let dangling = 0;
  for (const entry of entries) if (!(await repo.hasManifest(entry.digest))) dangling++;
  const layers = await cosignLayerCount(registryHost, repository, subject.digest);
  let duplicates = Math.max(0, layers - 1);
  for (const report of reports)
    if (report.format !== "cosign") duplicates += Math.max(0, report.signatures.length - 1);
  return {
    repository,
    digest: subject.digest,
    signedFormats: reports
      .filter((r) => r.verified && (r.format === "cosign" ? layers === 1 : r.signatures.length === 1))
      .map((r) => r.format),
    duplicates,
    dangling,
  };
}

/** The figures a fault run reports. */
export interface ChaosSummary {
  readonly subjects: number;
  readonly fullySigned: number;
  readonly duplicates: number;
  readonly dangling: number;
  readonly dead: number;
  readonly attempts: number;
}

export function summarize(
  audits: readonly SubjectAudit[],
  jobs: readonly (Job | undefined)[],
  attempts: Map<string, number>,
): ChaosSummary {
  return {
    subjects: audits.length,
    fullySigned: audits.filter((a) => a.signedFormats.length === 3).length,
    duplicates: audits.reduce((n, a) => n + a.duplicates, 0),
    dangling: audits.reduce((n, a) => n + a.dangling, 0),
    dead: jobs.filter((j) => j?.status !== "succeeded").length,
    attempts: [...attempts.values()].reduce((n, a) => n + a, 0),
  };
}
