// The message that travels from intake (webhook or API) to the worker, through whatever queue the
// runtime has (in-process, Cloudflare Queue, SQS). Small and JSON-serializable on purpose.
import { z } from "zod";
import { type FormatName, FormatNames } from "../formats/index.ts";
import { registryHost, repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
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

// Our own messages, but a queue is a boundary: anyone allowed to send to it can put anything on it,
// so a message is parsed with the grammar webhooks are parsed with, never trusted.
const attachJobSchema = z.object({
  jobId: z.string().min(1).max(200),
  request: z.object({
    registry: registryHost,
    repository: repositoryName,
    reference: z.union([sha256Digest, tagName]),
    digest: sha256Digest.optional(),
  }),
  formats: z.array(z.enum(FormatNames)).optional(),
  recursive: z.boolean().optional(),
});

/** A queue message as an AttachJob, or undefined when it is not one. */
export function parseAttachJob(message: unknown): AttachJob | undefined {
  const parsed = attachJobSchema.safeParse(message);
  return parsed.success ? parsed.data : undefined;
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
