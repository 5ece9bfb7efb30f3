// The Worker's bindings as this adapter uses them, typed structurally (like lib/store/sql/d1.ts) so the
// project needs no global @cloudflare/workers-types, whose globals collide with the DOM lib.
import type { AttachJob } from "../../lib/attach/attach-job.ts";
import type { D1DatabaseLike } from "../../lib/store/sql/d1.ts";
import type { SubjectCoordinatorApi } from "./subject-ledger.ts";

/** A Queue producer binding (Queues API, "Producer"). */
export interface QueueProducer<Body> {
  send(
    body: Body,
    options?: { readonly contentType?: "json"; readonly delaySeconds?: number },
  ): Promise<unknown>;
}

/** One delivery of a queue message; `attempts` counts from 1 (Queues API, "Message"). */
export interface QueueMessage<Body = unknown> {
  readonly id: string;
  readonly body: Body;
  readonly attempts: number;
  ack(): void;
  retry(options?: { readonly delaySeconds?: number }): void;
}

export interface QueueBatch<Body = unknown> {
  /** The queue's name: the jobs queue or its dead-letter queue. */
  readonly queue: string;
  readonly messages: readonly QueueMessage<Body>[];
}

export interface DurableObjectIdLike {
  toString(): string;
}

/** A Durable Object namespace binding whose stubs speak JavaScript RPC (`extends DurableObject`). */
export interface DurableObjectNamespaceLike<Api> {
  idFromName(name: string): DurableObjectIdLike;
  get(id: DurableObjectIdLike): Api;
}

export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  readonly props: unknown;
}

/** Every binding, var and secret the Worker reads. Secrets named by `{ env: NAME }` in the config too. */
export interface CloudflareEnv {
  readonly DB: D1DatabaseLike;
  readonly JOBS: QueueProducer<AttachJob>;
  readonly SUBJECTS: DurableObjectNamespaceLike<SubjectCoordinatorApi>;
  /** The configuration document: JSON text (a secret or var) or an object (a JSON var in wrangler.toml). */
  readonly COUNTERSIGN_CONFIG?: unknown;
  /** PKCS#8 PEM of a local signing key, when `signer.key` is not an awskms:// URI. */
  readonly COUNTERSIGN_SIGNING_KEY?: string;
  /** PEM chain (leaf first) for Notary signatures; without it a self-signed leaf is kept in D1. */
  readonly COUNTERSIGN_CERTIFICATE_CHAIN?: string;
  readonly AWS_ACCESS_KEY_ID?: string;
  readonly AWS_SECRET_ACCESS_KEY?: string;
  readonly AWS_SESSION_TOKEN?: string;
  readonly AWS_REGION?: string;
  readonly AWS_ENDPOINT_URL_KMS?: string;
  readonly [name: string]: unknown;
}
