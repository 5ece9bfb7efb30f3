// The app of lib/api/app.ts wired for in-process tests: a real configuration (parsed and resolved by
// lib/config), the real SQLite store in memory, a local signer, and a queue, operations and log sink
// that record what they receive.
import type { JWTVerifyGetKey } from "jose";
import { openSqliteStore, type SqliteStore } from "../../../functions/node/sqlite-store.ts";
import { createApp } from "../../../lib/api/app.ts";
import type { ApiOperations } from "../../../lib/api/registry-reads.ts";
import type { Attachment, VerifyReport } from "../../../lib/api/schemas.ts";
import type { AttachJob, JobQueue } from "../../../lib/attach/attach-job.ts";
import { parseConfig } from "../../../lib/config/load.ts";
import type { Config, ConfigInput } from "../../../lib/config/schema.ts";
import { createLogger } from "../../../lib/observability/logger.ts";
import { createServiceMetrics, type ServiceMetrics } from "../../../lib/observability/service-metrics.ts";
import type { Reference } from "../../../lib/oci/reference.ts";
import { LocalSigner } from "../../../lib/signing/local.ts";

export class RecordingQueue implements JobQueue {
  readonly jobs: AttachJob[] = [];
  /** When set, the next enqueue fails (a queue outage). */
  failNext = false;

  async enqueue(job: AttachJob): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("queue unavailable");
    }
    // A structured clone, as a real queue serializes the message.
    this.jobs.push(structuredClone(job));
  }
}

export class RecordingOperations implements ApiOperations {
  readonly calls: { readonly operation: "attachments" | "verify"; readonly ref: string }[] = [];
  attachmentsResult: Attachment[] = [];
  verifyResult: VerifyReport | undefined;

  async attachments(reference: Reference): Promise<Attachment[]> {
    this.calls.push({ operation: "attachments", ref: reference.toString() });
    return this.attachmentsResult;
  }

  async verify(reference: Reference): Promise<VerifyReport> {
    this.calls.push({ operation: "verify", ref: reference.toString() });
    if (this.verifyResult === undefined) throw new Error("no verify result set");
    return this.verifyResult;
  }
}

export interface AppHarness {
  readonly app: ReturnType<typeof createApp>;
  readonly config: Config;
  readonly store: SqliteStore;
  readonly queue: RecordingQueue;
  readonly operations: RecordingOperations;
  readonly metrics: ServiceMetrics;
  readonly signer: LocalSigner;
  /** Every log line the app wrote, as written. */
  readonly logs: string[];
  close(): void;
}

export interface AppHarnessOptions {
  /** Environment variables that `{ env: NAME }` secrets in the configuration resolve from. */
  readonly env?: Readonly<Record<string, string>>;
  readonly githubKeys?: JWTVerifyGetKey;
  readonly fetchJwks?: typeof fetch;
  readonly clock?: () => Date;
}

export async function createAppHarness(
  input: ConfigInput,
  options: AppHarnessOptions = {},
): Promise<AppHarness> {
  const env = options.env ?? {};
  const config = await parseConfig(input, {
    env: (name) => env[name],
    readFile: () => Promise.reject(new Error("no secret files in these tests")),
  });
  const store = await openSqliteStore(":memory:");
  const queue = new RecordingQueue();
  const operations = new RecordingOperations();
  const metrics = createServiceMetrics();
  const signer = await LocalSigner.generate("ES256");
  const logs: string[] = [];
  const app = createApp({
    config,
    store,
    queue,
    signers: [signer],
    operations,
    logger: createLogger({ write: (line) => logs.push(line), level: "debug" }),
    metrics,
    ...(options.clock !== undefined && { clock: options.clock }),
    ...(options.githubKeys !== undefined && { githubKeys: options.githubKeys }),
    ...(options.fetchJwks !== undefined && { fetchJwks: options.fetchJwks }),
  });
  return { app, config, store, queue, operations, metrics, signer, logs, close: () => store.close() };
}

/** A problem+json body, checked for the members every problem carries. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

export async function problemOf(response: Response): Promise<ProblemBody> {
  const contentType = response.headers.get("content-type");
  if (contentType !== "application/problem+json") {
    throw new Error(`expected application/problem+json, got ${contentType} (${response.status})`);
  }
  return (await response.json()) as ProblemBody;
}
