// The message that travels from intake (webhook or API) to the worker, through whatever queue the
// runtime has (in-process, Cloudflare Queue, SQS). Small and JSON-serializable on purpose.
import type { FormatName } from "../formats/index.ts";
import type { JobRequest } from "../store/store.ts";

export interface AttachJob {
  /** The store's job id: the worker records progress and outcomes under it. */
  readonly jobId: string;
  readonly request: JobRequest;
  /** Formats to write; defaults to the configured formats. */
  readonly formats?: readonly FormatName[];
  /** For an index: also sign every child manifest (overrides policy.signIndexChildren when set). */
  readonly recursive?: boolean;
}

export interface JobQueue {
  /** Resolves once the job is durably enqueued (or, in-process, accepted). */
  enqueue(job: AttachJob): Promise<void>;
}

/**
 * What the worker tells the queue after a run: `retry` for transient failures (the queue redelivers
 * with backoff), `done` otherwise (a permanent failure is recorded as a dead job, not retried).
 */
export type AttachJobResult =
  | { readonly kind: "done" }
  | { readonly kind: "retry"; readonly delayMs: number };
