// Per-request plumbing: a request id (the caller's `X-Request-Id` when it is sane), a logger bound to
// it, one access-log line and one latency observation per request. The logged path keeps the query
// for debugging, with secret parameter values (Docker Hub's and Quay's `?token=`) redacted.
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Logger } from "../observability/logger.ts";
import { redactedPathAndQuery } from "../observability/redact.ts";
import type { ServiceMetrics } from "../observability/service-metrics.ts";
import type { AppEnv } from "./env.ts";

export const REQUEST_ID_HEADER = "X-Request-Id";

/** Ids from proxies and load balancers (UUIDs, AWS trace ids, Cloudflare ray ids) fit this. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:=+\-/]{0,127}$/;

export function requestIdOf(header: string | undefined): string {
  return header !== undefined && SANE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

export interface RequestContextOptions {
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** Query parameter names that carry secrets beyond the built-in list (configured webhook tokens). */
  readonly secretQueryParameters: ReadonlySet<string>;
  /** Monotonic-enough milliseconds; `performance.now` where it exists. */
  readonly now: () => number;
}

function routeLabel(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const route = routePath(c, -1);
  // Only this middleware (`*`) matched: a 404. Never label by the raw path (unbounded cardinality).
  return route === "*" || route === "/*" ? "unmatched" : route;
}

export function requestContext(options: RequestContextOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = options.now();
    const requestId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    const log = options.logger.child({ requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    c.set("caller", undefined);
    try {
      await next();
    } finally {
      const status = c.res.status;
      const seconds = (options.now() - started) / 1000;
      c.res.headers.set(REQUEST_ID_HEADER, requestId);
      options.metrics.httpRequestDuration.observe(
        { method: c.req.method, route: routeLabel(c), status: String(status) },
        seconds,
      );
      const fields = {
        method: c.req.method,
        path: redactedPathAndQuery(new URL(c.req.url), options.secretQueryParameters),
        status,
        durationMs: Math.round(seconds * 1000 * 10) / 10,
      };
      if (status >= 500) log.error("request", fields);
      else log.info("request", fields);
    }
  };
}
