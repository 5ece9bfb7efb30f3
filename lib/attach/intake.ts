// Intake: where requests to sign become attach jobs. A webhook delivery is authenticated, parsed and
// filtered by the policy; an API call names a reference. Each allowed push becomes one stored job and
// one queue message. Nothing here talks to a registry: refused events cost no outbound request at all.

import type { Config } from "../config/schema.ts";
import type { WebhookConfig } from "../config/webhooks.ts";
import { toHex, utf8 } from "../encoding.ts";
import type { FormatName } from "../formats/index.ts";
import type { Logger } from "../observability/logger.ts";
import type { ServiceMetrics, WebhookOutcome } from "../observability/service-metrics.ts";
import { sha256 } from "../oci/digest.ts";
import { JobExistsError } from "../store/errors.ts";
import type { Job, JobRequest, Store } from "../store/store.ts";
import { WebhookAuthError, WebhookAuthUnavailableError, WebhookPayloadError } from "../webhooks/errors.ts";
import { webhookSources } from "../webhooks/index.ts";
import type { PushEvent } from "../webhooks/push-event.ts";
import type { IgnoredEvent, WebhookDelivery, WebhookSource } from "../webhooks/source.ts";
import type { JobQueue } from "./attach-job.ts";
import { diedOfTransientCause } from "./failure.ts";
import { decide } from "./policy.ts";

/** The policy's answer for one event; `event` is the event as the job should see it (normalized host). */
export type IntakeDecision =
  | { readonly allowed: true; readonly event: PushEvent }
  | { readonly allowed: false; readonly reason: string };

/** The policy as intake sees it: `webhook` is undefined for API requests. */
export type IntakePolicy = (event: PushEvent, webhook: WebhookConfig | undefined) => IntakeDecision;

/** The configured policy (lib/attach/policy.ts `decide`), narrowed further by the webhook's registries. */
export function configPolicy(config: Pick<Config, "registries" | "policy">): IntakePolicy {
  return (event, webhook) => {
    const decision = decide(event, config, webhook);
    return decision.allowed
      ? { allowed: true, event: decision.event }
      : { allowed: false, reason: decision.reason };
  };
}

/** Webhook sources by kind; settings are typed by each source, the registry erases that. */
export type WebhookSourceRegistry = Readonly<Record<string, WebhookSource<never>>>;

export interface IntakeDeps {
  readonly store: Store;
  readonly queue: JobQueue;
  readonly policy: IntakePolicy;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** Default: every source of lib/webhooks. */
  readonly sources?: WebhookSourceRegistry;
  /** How long a delivery id is remembered. Default 24 h: longer than any sender's retry schedule. */
  readonly deliveryTtlMs?: number;
}

export interface IntakeResult {
  /** Ids of the jobs created (or re-enqueued) for this delivery. */
  readonly accepted: string[];
  readonly ignored: IgnoredEvent[];
}

const DEFAULT_DELIVERY_TTL_MS = 24 * 60 * 60 * 1000;

function requestOf(event: PushEvent): JobRequest {
  return {
    registry: event.registry,
    repository: event.repository,
    // Sign a digest, never a tag: the tag is only the way to find the digest when no digest was sent.
    reference: event.digest ?? event.tag ?? "latest",
    ...(event.digest !== undefined && { digest: event.digest }),
  };
}

/**
 * The job id of a webhook event with a delivery id: a UUIDv8 from SHA-256 of source and key (RFC 9562
 * §B.2), so every redelivery of the event names the same job and a concurrent duplicate cannot create two.
 */
export async function deliveryJobId(source: string, key: string): Promise<string> {
  const digest = await sha256(utf8(`${source}\n${key}`));
  const bytes = digest.slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function describe(event: PushEvent): string {
  return `${event.registry}/${event.repository}${event.tag ? `:${event.tag}` : ""}${event.digest ? `@${event.digest}` : ""}`;
}

/**
 * Authenticates (before anything else), parses, filters and enqueues one webhook delivery. Throws
 * WebhookAuthError, WebhookAuthUnavailableError or WebhookPayloadError for the edge to map.
 */
export async function receiveDelivery(
  webhook: WebhookConfig,
  delivery: WebhookDelivery,
  deps: IntakeDeps,
): Promise<IntakeResult> {
  const source = (deps.sources ?? (webhookSources as unknown as WebhookSourceRegistry))[webhook.kind];
  if (source === undefined) throw new Error(`no webhook source of kind ${webhook.kind}`);
  // The registry erases each source's settings type; the configuration pairs kind and settings.
  const settings = (webhook.authenticated ? webhook.settings : { kind: webhook.kind }) as never;
  const counted = (outcome: WebhookOutcome) => deps.metrics.webhooks.inc({ source: webhook.kind, outcome });
  try {
    // An unauthenticated webhook exists only for loopback registries (checked by the configuration).
    if (webhook.authenticated) await source.authenticate(delivery, settings);
  } catch (error) {
    if (error instanceof WebhookAuthError) counted("unauthorized");
    else counted(error instanceof WebhookAuthUnavailableError ? "unavailable" : "error");
    throw error;
  }
  let parsed: ReturnType<WebhookSource<never>["parse"]>;
  try {
    parsed = source.parse(delivery, settings);
  } catch (error) {
    if (error instanceof WebhookPayloadError) counted("invalid");
    throw error;
  }
  const result: IntakeResult = { accepted: [], ignored: [...parsed.ignored] };
  for (const _ of parsed.ignored) counted("ignored");
  for (const event of parsed.events) {
    const outcome = await intakeEvent(event, webhook, deps);
    counted(outcome.kind);
    if (outcome.kind === "accepted") result.accepted.push(outcome.jobId);
    else
      result.ignored.push({ reason: outcome.reason, ...(event.deliveryId && { eventId: event.deliveryId }) });
  }
  return result;
}

type EventOutcome =
  | { readonly kind: "accepted"; readonly jobId: string }
  | { readonly kind: "refused" | "duplicate"; readonly reason: string };

async function intakeEvent(
  event: PushEvent,
  webhook: WebhookConfig,
  deps: IntakeDeps,
): Promise<EventOutcome> {
  const decision = deps.policy(event, webhook);
  if (!decision.allowed) {
    deps.logger.info("webhook event refused by policy", {
      webhook: webhook.name,
      event: describe(event),
      reason: decision.reason,
    });
    return { kind: "refused", reason: decision.reason };
  }
  const allowed = decision.event;
  const source = `webhook:${webhook.name}`;
  if (allowed.deliveryId === undefined) return enqueueNew(allowed, source, undefined, deps);
  // The delivery id alone is not unique per event (GitHub's X-GitHub-Delivery covers the whole
  // delivery), so the event's identity is part of the key.
  const key = `${allowed.deliveryId}|${describe(allowed)}`;
  const jobId = await deliveryJobId(source, key);
  const seen = await deps.store.seenDelivery(source, key, deps.deliveryTtlMs ?? DEFAULT_DELIVERY_TTL_MS);
  if (!seen) return enqueueNew(allowed, source, jobId, deps);
  return redelivered(allowed, source, jobId, deps);
}

/**
 * A delivery seen before. Its job normally exists and nothing is done. Three exceptions keep a failure
 * from losing the event: no job (the store failed after recording the delivery), a job that never
 * reached the queue (`failed` without any attempt), and a job that died of transient failures only
 * (the registry or KMS unreachable longer than its attempts lasted): the sender's redelivery is the
 * chance to sign the image after all. A job that was refused for good stays dead.
 */
async function redelivered(
  event: PushEvent,
  source: string,
  jobId: string,
  deps: IntakeDeps,
): Promise<EventOutcome> {
  const job = await deps.store.getJob(jobId);
  if (job === undefined) return enqueueNew(event, source, jobId, deps);
  if (job.status === "failed" && job.attempts === 0) {
    await deps.queue.enqueue({ jobId, request: job.request });
    await deps.store.updateJob(jobId, { status: "queued", lastError: null });
    deps.logger.info("redelivery re-enqueued a job that never reached the queue", {
      jobId,
      event: describe(event),
    });
    return { kind: "accepted", jobId };
  }
  if (diedOfTransientCause(job)) {
    // Marked first: a queue that runs it at once must not have its `running` overwritten.
    const revived = await deps.store.updateJob(jobId, {
      status: "queued",
      attempts: 0,
      lastError: null,
      finishedAt: null,
    });
    await enqueueJob(revived, {}, deps);
    deps.logger.info("redelivery re-enqueued a job that died of transient failures", {
      jobId,
      event: describe(event),
      lastError: job.lastError,
    });
    return { kind: "accepted", jobId };
  }
  deps.logger.info("webhook redelivery ignored", { jobId, event: describe(event) });
  return { kind: "duplicate", reason: "redelivery" };
}

async function enqueueNew(
  event: PushEvent,
  source: string,
  jobId: string | undefined,
  deps: IntakeDeps,
): Promise<EventOutcome> {
  let job: Job;
  try {
    job = await deps.store.createJob({
      ...(jobId !== undefined && { id: jobId }),
      request: requestOf(event),
      source,
    });
  } catch (error) {
    // A concurrent duplicate of the same delivery created it first.
    if (error instanceof JobExistsError) return { kind: "duplicate", reason: "redelivery" };
    throw error;
  }
  await enqueueJob(job, {}, deps);
  deps.logger.info("attach job queued", { jobId: job.id, source, event: describe(event) });
  return { kind: "accepted", jobId: job.id };
}

interface EnqueueOptions {
  readonly formats?: readonly FormatName[];
  readonly recursive?: boolean;
}

/** Enqueues a stored job; when the queue refuses, the job is marked so that a retry re-enqueues it. */
async function enqueueJob(job: Job, options: EnqueueOptions, deps: IntakeDeps): Promise<void> {
  try {
    await deps.queue.enqueue({ jobId: job.id, request: job.request, ...options });
  } catch (error) {
    await deps.store
      .updateJob(job.id, { status: "failed", lastError: "the job could not be enqueued" })
      .catch((cause: unknown) =>
        deps.logger.error("marking an unqueued job failed", { jobId: job.id, error: cause }),
      );
    throw new QueueUnavailableError(job.id, { cause: error });
  }
  deps.metrics.jobs.inc({ status: "queued" });
}

/** The queue did not accept a job (it is stored as `failed`, attempts 0). */
export class QueueUnavailableError extends Error {
  override readonly name = "QueueUnavailableError";
  readonly jobId: string;
  constructor(jobId: string, options?: ErrorOptions) {
    super(`job ${jobId} could not be enqueued`, options);
    this.jobId = jobId;
  }
}

export interface SignatureSubmission {
  /** The reference as parsed at the edge (lib/oci parseReference). */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string | undefined;
  readonly digest?: string | undefined;
  readonly formats?: readonly FormatName[] | undefined;
  readonly recursive?: boolean | undefined;
  /** Who asked: `api:token/1`, `api:github/acme/app`. */
  readonly source: string;
}

/** Refused by the policy: the edge answers 403 and nothing is stored. */
export class ReferenceRefusedError extends Error {
  override readonly name = "ReferenceRefusedError";
  readonly reason: string;
  constructor(reason: string) {
    super(`the policy refuses this reference: ${reason}`);
    this.reason = reason;
  }
}

/** Sign on demand (POST /v1/signatures): the same policy as webhooks, then one job. */
export async function submitSignature(submission: SignatureSubmission, deps: IntakeDeps): Promise<Job> {
  const event: PushEvent = {
    registry: submission.registry,
    repository: submission.repository,
    // A bare name means `latest`, as `docker pull` reads it.
    ...((submission.tag !== undefined || submission.digest === undefined) && {
      tag: submission.tag ?? "latest",
    }),
    ...(submission.digest !== undefined && { digest: submission.digest }),
  };
  const decision = deps.policy(event, undefined);
  if (!decision.allowed) {
    deps.logger.info("signature request refused by policy", {
      event: describe(event),
      reason: decision.reason,
    });
    throw new ReferenceRefusedError(decision.reason);
  }
  const job = await deps.store.createJob({ request: requestOf(decision.event), source: submission.source });
  await enqueueJob(
    job,
    {
      ...(submission.formats !== undefined && { formats: submission.formats }),
      ...(submission.recursive !== undefined && { recursive: submission.recursive }),
    },
    deps,
  );
  deps.logger.info("attach job queued", { jobId: job.id, source: submission.source, event: describe(event) });
  return job;
}
