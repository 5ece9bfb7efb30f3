// POST /webhooks/:name: the route only finds the configured webhook and reads the raw body under its
// cap; authentication, parsing, policy and enqueueing are lib/attach/intake.ts.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type IntakeDeps, receiveDelivery } from "../attach/intake.ts";
import type { WebhookConfig } from "../config/webhooks.ts";
import { MAX_WEBHOOK_BODY_BYTES } from "../webhooks/limits.ts";
import type { AppEnv } from "./env.ts";
import { json, problem } from "./openapi.ts";
import { HttpProblem, ProblemTypes } from "./problem.ts";
import { BodyTooLargeError, readBodyCapped } from "./request-body.ts";
import { WebhookAcceptedSchema, WebhookNameParamSchema } from "./schemas.ts";

/**
 * Documented only: the handler reads the raw body itself (HMACs cover the exact bytes, and no parsing
 * may happen before the sender is authenticated), so no validator runs on it.
 */
export const webhookRoute = createRoute({
  method: "post",
  path: "/webhooks/{name}",
  tags: ["webhooks"],
  summary: "Receive a registry's push notification",
  description:
    "Authenticates the sender as the named webhook's source kind requires (header secret, HMAC, URL token or OIDC), parses the events, applies the policy, and queues one attach job per allowed push. A delivery that is not a push (a pull, a delete, a ping, a scan or build notification) is answered 202 with the reason it was ignored. Redeliveries are recognised by their delivery id. Bodies over 1 MiB are refused.",
  request: {
    params: WebhookNameParamSchema,
    body: {
      required: true,
      description: "The registry's own payload; its media type depends on the source.",
      content: { "application/json": { schema: z.unknown() } },
    },
  },
  responses: {
    202: json("Events accepted (jobs queued) or ignored.", WebhookAcceptedSchema),
    400: problem(
      "The payload is not what this source sends, or a push names an invalid repository, digest or tag; `errors` names the field.",
    ),
    401: problem("The sender could not be authenticated. Nothing was parsed and no request was made."),
    404: problem("No webhook is configured under this name."),
    413: problem("The body is larger than 1 MiB."),
    503: problem("The sender's credentials cannot be checked right now (e.g. key set unreachable)."),
  },
});

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
