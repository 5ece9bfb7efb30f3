// Health and metrics: unauthenticated, cheap, and free of anything sensitive (metric labels are
// kinds, statuses and route patterns, never repositories or references).
import type { OpenAPIHono } from "@hono/zod-openapi";
import { healthRoute, metricsRoute } from "../../lib/api/routes.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../lib/observability/metrics.ts";
import type { ServiceMetrics } from "../../lib/observability/service-metrics.ts";
import type { Store } from "../../lib/store/store.ts";
import type { AppEnv } from "./env.ts";

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
