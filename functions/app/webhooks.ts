// POST /webhooks/:name: the route only finds the configured webhook and reads the raw body under its
// cap; authentication, parsing, policy and enqueueing are lib/attach/intake.ts.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { HttpProblem, ProblemTypes } from "../../lib/api/problem.ts";
import { BodyTooLargeError, readBodyCapped } from "../../lib/api/request-body.ts";
import { webhookRoute } from "../../lib/api/routes.ts";
import { type IntakeDeps, receiveDelivery } from "../../lib/attach/intake.ts";
import type { WebhookConfig } from "../../lib/config/webhooks.ts";
import { MAX_WEBHOOK_BODY_BYTES } from "../../lib/webhooks/limits.ts";
import type { AppEnv } from "./env.ts";

export interface WebhookRouteDeps {
  readonly webhooks: readonly WebhookConfig[];
  readonly intake: IntakeDeps;
  readonly clock: () => Date;
}

export function webhookRoutes(app: OpenAPIHono<AppEnv>, deps: WebhookRouteDeps): void {
  const byName = new Map(deps.webhooks.map((webhook) => [webhook.name, webhook]));
  // Documented, not validated: the body must stay raw bytes until the sender is authenticated.
  app.openAPIRegistry.registerPath(webhookRoute);
  app.post("/webhooks/:name", async (c) => {
    const name = c.req.param("name");
    const webhook = byName.get(name);
    if (webhook === undefined) {
      throw new HttpProblem(
        ProblemTypes.webhookNotFound,
        `no webhook is configured under ${JSON.stringify(name.slice(0, 64))}`,
      );
    }
    let body: Uint8Array;
    try {
      body = await readBodyCapped(c.req.raw, MAX_WEBHOOK_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        deps.intake.metrics.webhooks.inc({ source: webhook.kind, outcome: "too_large" });
      throw error;
    }
    const delivery = { body, headers: c.req.raw.headers, url: new URL(c.req.url), receivedAt: deps.clock() };
    const result = await receiveDelivery(webhook, delivery, { ...deps.intake, logger: c.get("log") });
    c.get("log").info("webhook received", {
      webhook: webhook.name,
      accepted: result.accepted.length,
      ignored: result.ignored.length,
    });
    return c.json(result, 202);
  });
}
