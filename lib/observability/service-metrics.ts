// The metrics Countersign exports (issue 4, REST: "webhooks by source and outcome, jobs, signatures,
// registry requests, latency histograms"). One instance is shared by the app and the attach worker of a
// process; labels carry only bounded values (kinds, outcomes, statuses, formats, route patterns),
// never repository names or references.
import { type Counter, type Histogram, MetricsRegistry } from "./metrics.ts";

/** What happened to one webhook event or delivery. */
export type WebhookOutcome =
  | "accepted"
  | "duplicate"
  | "ignored"
  | "refused"
  | "unauthorized"
  | "unavailable"
  | "invalid"
  | "too_large"
  | "error";

export interface ServiceMetrics {
  readonly registry: MetricsRegistry;
  /** Per event for accepted/duplicate/ignored/refused; per delivery for the failures before parsing. */
  readonly webhooks: Counter<"source" | "outcome">;
  /** Jobs entering each status: `queued` at intake, the rest by the worker. */
  readonly jobs: Counter<"status">;
  /** Signatures written, by format. */
  readonly signatures: Counter<"format">;
  /** Registry requests by method and HTTP status (`error` when there was no answer). */
  readonly registryRequests: Counter<"method" | "status">;
  readonly httpRequestDuration: Histogram<"method" | "route" | "status">;
  readonly jobDuration: Histogram<"status">;
}

/** Job runs include registry round trips and KMS calls: seconds to a minute. */
const JOB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createServiceMetrics(): ServiceMetrics {
  const registry = new MetricsRegistry();
  return {
    registry,
    webhooks: registry.counter(
      "countersign_webhooks_total",
      "Webhook events and deliveries by source kind and outcome.",
      ["source", "outcome"],
    ),
    jobs: registry.counter("countersign_jobs_total", "Attach jobs by the status they entered.", ["status"]),
    signatures: registry.counter("countersign_signatures_total", "Signatures written, by format.", [
      "format",
    ]),
    registryRequests: registry.counter(
      "countersign_registry_requests_total",
      "Requests sent to registries, by method and response status.",
      ["method", "status"],
    ),
    httpRequestDuration: registry.histogram(
      "countersign_http_request_duration_seconds",
      "Time to answer an HTTP request, by method, route pattern and status.",
      ["method", "route", "status"],
    ),
    jobDuration: registry.histogram(
      "countersign_job_duration_seconds",
      "Time to run one attach job, by final status.",
      ["status"],
      JOB_BUCKETS,
    ),
  };
}
