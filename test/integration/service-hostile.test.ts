// `countersign serve` (in process) against a hostile registry of our own, with sentinels on other
// loopback ports (issue 13): webhook pushes and REST reads meet foreign upload Locations and token
// realms, a registry that never answers, an index naming children that exist nowhere and one with more
// children than the bound; reads outside the allowed repositories; a 100 KB URL; shutdown during a job
// that hangs. Through all of it, no sentinel is reached and no secret shows in logs, job records or
// answers.
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../../functions/node/service.ts";
import { parseConfig } from "../../lib/config/load.ts";
import { createLogger } from "../../lib/observability/logger.ts";
import type { Job } from "../../lib/store/store.ts";
import {
  type HostileRegistry,
  type Sentinel,
  startHostileRegistry,
  startSentinel,
  uniqueImageManifest,
} from "../support/registry/hostile-registry.ts";
import { DISTRIBUTION_EVENTS_V1, distributionPushEnvelope } from "../support/webhooks/distribution-events.ts";

const USER = "countersign";
const PASSWORD = "service-hostile-password-0123";
const WEBHOOK_TOKEN = "service-hostile-webhook-token-0123";
const API_TOKEN = "service-hostile-api-token-0123456";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const INDEX = "application/vnd.oci.image.index.v1+json";
const ATTEMPT_TIMEOUT_MS = 3_000;
const DRAIN_MS = 1_000;

let dir: string;
let sentinel: Sentinel;
let registry: HostileRegistry;
let service: RunningService;
const logs: string[] = [];
/** Every body the service answered (REST and webhooks), for the secrets check. */
const answers: string[] = [];

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${service.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers as Record<string, string>) },
  });
  answers.push(await response.clone().text());
  return response;
}

/** Delivers a distribution push event and returns the job it created. */
async function push(repository: string, digest: string, mediaType = MANIFEST, tag = "v1"): Promise<string> {
  const response = await fetch(`${service.url}/webhooks/distribution`, {
    method: "POST",
    headers: { "content-type": DISTRIBUTION_EVENTS_V1, authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: JSON.stringify(distributionPushEnvelope(registry.host, repository, { digest, mediaType }, tag)),
  });
  const text = await response.text();
  answers.push(text);
  expect(response.status, text).toBe(202);
  const [jobId] = (JSON.parse(text) as { accepted: string[] }).accepted;
  return jobId!;
}

async function settled(jobId: string, until: (job: Job) => boolean, timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await service.store.getJob(jobId);
    if (job !== undefined && until(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not settle: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const finished = (job: Job) => job.status === "succeeded" || job.status === "dead";

function index(children: readonly string[]): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: children.map((digest, i) => ({
        mediaType: MANIFEST,
        digest,
        size: 300,
        platform: { os: "linux", architecture: `arch${i}` },
      })),
    }),
  );
}

const fakeDigest = () => `sha256:${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "countersign-hostile-"));
  sentinel = await startSentinel();
  registry = await startHostileRegistry({
    username: USER,
    password: PASSWORD,
    auth: "bearer",
    elsewhere: sentinel.origin,
    misbehaviours: {
      "evil/upload": { kind: "foreign-upload-location" },
      "evil/realm": { kind: "foreign-token-realm" },
      "evil/silent": { kind: "never-answer", path: /\/manifests\// },
      "evil/redirect": { kind: "redirect", method: "PUT", path: /\/manifests\// },
    },
  });
  const config = await parseConfig(
    {
      dataDir: join(dir, "data"),
      registries: [
        {
          host: registry.host,
          credentials: { username: USER, password: PASSWORD },
          repositories: ["team/**", "evil/**"],
        },
      ],
      webhooks: [
        { name: "distribution", kind: "distribution", settings: { auth: { bearer: WEBHOOK_TOKEN } } },
      ],
      api: { tokens: [API_TOKEN] },
      queue: {
        concurrency: 4,
        maxAttempts: 2,
        attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
        drainMs: DRAIN_MS,
        backoff: { initialMs: 100, maxMs: 200 },
      },
    },
    { env: () => undefined, readFile: async () => "" },
  );
  const logger = createLogger({ write: (line) => logs.push(line), level: "debug" });
  service = await startService(config, { port: 0, logger });
});

afterAll(async () => {
  await service?.close();
  await registry?.stop();
  await sentinel?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("webhook pushes against a hostile registry", () => {
  it("a well-behaved repository is signed in every format (the baseline)", async () => {
    const digest = registry.putManifest("team/app", uniqueImageManifest(), MANIFEST, "v1");
    const job = await settled(await push("team/app", digest), finished);
    expect(job.status, job.lastError).toBe("succeeded");
    expect(Object.values(job.outcomes).map((o) => o?.status)).toEqual(["signed", "signed", "signed"]);
    expect(registry.tags("team/app").sort()).toEqual(
      ["v1", digest.replace(":", "-"), `${digest.replace(":", "-")}.sig`].sort(),
    );
  });

  it("an upload Location on another origin: the job is dead, naming the origin; the sentinel saw nothing", async () => {
    const digest = registry.putManifest("evil/upload", uniqueImageManifest(), MANIFEST, "v1");
    const job = await settled(await push("evil/upload", digest), finished);
    expect(job.status).toBe("dead");
    expect(job.lastError).toContain(`the upload Location points at ${sentinel.origin}`);
    expect(sentinel.connections).toBe(0);
  });

  it("a token realm on another host: dead; the next repository's job is signed, nothing poisoned", async () => {
    const evil = registry.putManifest("evil/realm", uniqueImageManifest(), MANIFEST, "v1");
    const refused = await settled(await push("evil/realm", evil), finished);
    expect(refused.status).toBe("dead");
    expect(refused.lastError).toContain(`refusing token realm on another host, ${sentinel.origin}`);
    const digest = registry.putManifest("team/after-realm", uniqueImageManifest(), MANIFEST, "v1");
    const job = await settled(await push("team/after-realm", digest), finished);
    expect(job.status, job.lastError).toBe("succeeded");
    expect(sentinel.connections).toBe(0);
  });

  it("a manifest PUT redirected to another origin: not followed", async () => {
    const digest = registry.putManifest("evil/redirect", uniqueImageManifest(), MANIFEST, "v1");
    const job = await settled(await push("evil/redirect", digest), finished);
    expect(job.status).toBe("dead");
    expect(job.lastError).toMatch(/manifest\.put: a redirect points at http:\/\/127\.0\.0\.1:\d+/);
    expect(registry.tags("evil/redirect")).toEqual(["v1"]);
    expect(sentinel.connections).toBe(0);
  });

  it("a registry that never answers: each attempt ends at its deadline, then the backoff; dead after the attempts, and the redelivery runs it again", async () => {
    const envelope = JSON.stringify(
      distributionPushEnvelope(
        registry.host,
        "evil/silent",
        { digest: fakeDigest(), mediaType: MANIFEST },
        "v1",
      ),
    );
    const deliver = async () => {
      const response = await fetch(`${service.url}/webhooks/distribution`, {
        method: "POST",
        headers: { "content-type": DISTRIBUTION_EVENTS_V1, authorization: `Bearer ${WEBHOOK_TOKEN}` },
        body: envelope,
      });
      const text = await response.text();
      answers.push(text);
      return JSON.parse(text) as { accepted: string[] };
    };
    const started = Date.now();
    const [jobId] = (await deliver()).accepted;
    const job = await settled(jobId!, finished, 60_000);
    const took = Date.now() - started;
    expect(job.status).toBe("dead");
    expect(job.attempts).toBe(2);
    expect(job.lastError).toMatch(
      /^gave up after 2 attempts: AttemptAbortedError: the attempt passed its 3000 ms deadline/,
    );
    // Two attempts of 3 s and a backoff of at most 200 ms: generous bounds, far from the old 12 minutes.
    expect(took).toBeGreaterThanOrEqual(2 * ATTEMPT_TIMEOUT_MS);
    expect(took).toBeLessThan(30_000);
    // The registry redelivers the same event: a job that died of transient failures runs again.
    expect((await deliver()).accepted).toEqual([jobId]);
    const rerun = await settled(jobId!, (j) => j.status === "running" || j.attempts > 0, 10_000);
    expect(rerun.status).not.toBe("dead");
    await settled(jobId!, finished, 60_000);
  });

  it("an index whose children exist nowhere: the index is signed, the children are not, and the job says so", async () => {
    const missing = [fakeDigest(), fakeDigest(), fakeDigest()];
    const digest = registry.putManifest("team/ghost-index", index(missing), INDEX, "v1");
    const job = await settled(await push("team/ghost-index", digest, INDEX), finished);
    expect(job.status, job.lastError).toBe("succeeded");
    for (const outcome of Object.values(job.outcomes)) {
      expect(outcome?.status).toBe("signed");
      expect(outcome?.detail).toContain("3 child manifest(s) not signed");
      for (const child of missing) expect(outcome?.detail).toContain(`${child} (not in the registry)`);
    }
    // Signature tags for the index only.
    const signed = registry.tags("team/ghost-index").filter((t) => t.endsWith(".sig"));
    expect(signed).toEqual([`${digest.replace(":", "-")}.sig`]);
  });

  it("an index with more children than the bound: only the index is signed, and the job records why", async () => {
    const children = Array.from({ length: 70 }, () =>
      registry.putManifest("team/wide", uniqueImageManifest(), MANIFEST),
    );
    const digest = registry.putManifest("team/wide", index(children), INDEX, "v1");
    const before = registry.requests.length;
    const job = await settled(await push("team/wide", digest, INDEX), finished);
    expect(job.status, job.lastError).toBe("succeeded");
    for (const outcome of Object.values(job.outcomes)) {
      expect(outcome?.detail).toContain(
        "the index lists 70 platform manifests, more than policy.maxIndexChildren (64): only the index is signed",
      );
    }
    expect(registry.tags("team/wide").filter((t) => t.endsWith(".sig"))).toHaveLength(1);
    // No child was even fetched.
    const sent = registry.requests.slice(before);
    for (const child of children) expect(sent.some((r) => r.path.includes(child))).toBe(false);
  });
});

describe("REST reads against a hostile registry", () => {
  it("a repository outside the allowed ones is a 403 problem with no registry request", async () => {
    const before = registry.requests.length;
    for (const path of ["/v1/verify", "/v1/attachments"]) {
      const response = await api(`${path}?ref=${registry.host}/other/app:v1`);
      expect(response.status).toBe(403);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    expect(registry.requests.length).toBe(before);
  });

  it("a missing image is a 404 problem, not a registry failure", async () => {
    for (const path of ["/v1/verify", "/v1/attachments"]) {
      const response = await api(`${path}?ref=${registry.host}/team/app:no-such-tag`);
      expect(response.status, path).toBe(404);
      const problem = (await response.json()) as { type: string; detail: string };
      expect(problem.type).toBe("urn:countersign:problem:image-not-found");
      expect(problem.detail).toContain("team/app:no-such-tag is not in the registry");
    }
  });

  it("verifies what the service signed, through the registry's own token realm", async () => {
    const response = await api(`/v1/verify?ref=${registry.host}/team/app:v1`);
    const report = (await response.json()) as { verified: boolean };
    expect(response.status).toBe(200);
    expect(report.verified).toBe(true);
  });

  it("a 100 KB URL is a 431 problem+json, not a bare status line", async () => {
    const path = `/v1/verify?ref=${"a".repeat(100 * 1024)}`;
    const { status, headers, body } = await new Promise<{
      status: number;
      headers: Record<string, unknown>;
      body: string;
    }>((resolve, reject) => {
      const url = new URL(service.url);
      const req = httpRequest({ host: url.hostname, port: url.port, path, method: "GET" }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(431);
    expect(headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(body)).toMatchObject({
      type: "urn:countersign:problem:headers-too-large",
      status: 431,
    });
  });
});

describe("shutdown and secrets", () => {
  it("no secret in the logs, the job records or any answer; no sentinel reached", async () => {
    const jobs = JSON.stringify(await service.store.listJobs({ limit: 500 }));
    const everything = [...logs, jobs, ...answers].join("\n");
    const secrets = [
      PASSWORD,
      Buffer.from(`${USER}:${PASSWORD}`).toString("base64"),
      WEBHOOK_TOKEN,
      API_TOKEN,
      ...registry.tokens,
    ];
    expect(registry.tokens.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(sentinel.connections).toBe(0);
  });

  it("shutdown during a job that hangs on the registry: bounded by the drain, the job left to resume", async () => {
    const jobId = await push("evil/silent", fakeDigest(), MANIFEST, "hang");
    await settled(jobId, (job) => job.status === "running");
    const started = Date.now();
    await service.close();
    // The drain (1 s), then the abort: nothing waits for the silent registry.
    expect(Date.now() - started).toBeLessThan(DRAIN_MS + 5_000);
    const { openSqliteStore, defaultStorePath } = await import("../../functions/node/sqlite-store.ts");
    const store = await openSqliteStore(defaultStorePath(join(dir, "data")));
    try {
      const job = await store.getJob(jobId);
      // Recorded as a failed attempt: the next start's recovery picks it up.
      expect(job?.status).toBe("failed");
      expect(job?.lastError).toContain("the service is shutting down");
    } finally {
      store.close();
    }
  });
});
