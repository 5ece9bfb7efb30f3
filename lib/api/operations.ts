// Health and metrics: unauthenticated, cheap, and free of anything sensitive (metric labels are
// kinds, statuses and route patterns, never repositories or references).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { PROMETHEUS_CONTENT_TYPE } from "../observability/metrics.ts";
import type { ServiceMetrics } from "../observability/service-metrics.ts";
import type { Store } from "../store/store.ts";
import type { AppEnv } from "./env.ts";
import { json } from "./openapi.ts";
import { HealthSchema } from "./schemas.ts";

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["operations"],
  summary: "Liveness and store reachability",
  responses: {
    200: json("The service and its store answer.", HealthSchema),
    503: json("The store does not answer.", HealthSchema),
  },
});

export const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["operations"],
  summary: "Prometheus metrics (text exposition format 0.0.4)",
  responses: {
    200: { description: "Metrics.", content: { "text/plain": { schema: z.string() } } },
  },
});

export function operationsRoutes(app: OpenAPIHono<AppEnv>, store: Store, metrics: ServiceMetrics): void {
  app.openapi(healthRoute, async (c) => {
    c.header("Cache-Control", "no-store");
    try {
      // The cheapest read every store answers: proves the backend is reachable and migrated.
      await store.listJobs({ limit: 1 });
      return c.json({ status: "ok" as const, store: "ok" as const }, 200);
    } catch (error) {
      c.get("log").error("health check: store unreachable", { error });
      return c.json({ status: "unavailable" as const, store: "unavailable" as const }, 503);
    }
  });

  app.openapi(metricsRoute, (c) => {
    return c.text(metrics.registry.render(), 200, {
      "Content-Type": PROMETHEUS_CONTENT_TYPE,
      "Cache-Control": "no-store",
    });
  });
}
