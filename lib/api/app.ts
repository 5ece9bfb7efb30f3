// The Hono app, assembled once from injected dependencies. No runtime API is touched here: the Node,
// Cloudflare Workers and Lambda adapters all wrap this same app and differ only in what they inject
// (store, queue, signers, fetch, logger sink).
import { OpenAPIHono } from "@hono/zod-openapi";
import type { JWTVerifyGetKey } from "jose";
import type { JobQueue } from "../attach/attach-job.ts";
import {
  configPolicy,
  type IntakeDeps,
  type IntakePolicy,
  type WebhookSourceRegistry,
} from "../attach/intake.ts";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../observability/logger.ts";
import type { ServiceMetrics } from "../observability/service-metrics.ts";
import type { Store } from "../store/store.ts";
import { apiAccess } from "./access.ts";
import { ApiAuthenticator } from "./api-auth.ts";
import type { ApiAuthSettings } from "./auth-settings.ts";
import { docsRoutes } from "./docs.ts";
import type { AppEnv } from "./env.ts";
import { appErrorHandler, onNotFound, validationHook } from "./error-handler.ts";
import { jobRoutes } from "./jobs.ts";
import { keyRoutes, type PublicKeySource } from "./keys.ts";
import { operationsRoutes } from "./operations.ts";
import type { ApiOperations } from "./registry-reads.ts";
import { requestContext } from "./request-context.ts";
import { signatureRoutes } from "./signatures.ts";
import { webhookRoutes } from "./webhooks.ts";

export type { AppEnv } from "./env.ts";
export type { PublicKeySource } from "./keys.ts";
export type { ApiOperations } from "./registry-reads.ts";

/** The configuration the app reads (a full `Config` fits). */
export interface AppConfig {
  readonly registries: Config["registries"];
  readonly policy: Config["policy"];
  readonly webhooks: Config["webhooks"];
  readonly api: ApiAuthSettings;
}

export interface AppDeps {
  readonly config: AppConfig;
  readonly store: Store;
  readonly queue: JobQueue;
  /** The keys behind `/v1/keys` and `/.well-known/jwks.json` (signers, or anything with their public half). */
  readonly signers: readonly PublicKeySource[];
  readonly operations: ApiOperations;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** Webhook sources by kind; default: every source in lib/webhooks. */
  readonly sources?: WebhookSourceRegistry;
  /** Default: `decide` (lib/attach/policy.ts) over `config`. */
  readonly policy?: IntakePolicy;
  readonly clock?: () => Date;
  /** GitHub Actions key set (tests pass `createLocalJWKSet`); default: fetched from the issuer. */
  readonly githubKeys?: JWTVerifyGetKey;
  /** The fetch used for the GitHub Actions key set when `githubKeys` is not given. */
  readonly fetchJwks?: typeof fetch;
  /** For latency; default `performance.now`. */
  readonly now?: () => number;
  /** Shown in the OpenAPI document. */
  readonly version?: string;
}

/** Query parameters that carry a webhook's URL token, so access logs redact them. */
function webhookTokenParameters(webhooks: AppConfig["webhooks"]): Set<string> {
  const names = new Set<string>();
  for (const webhook of webhooks) {
    const settings = webhook.settings as { tokenParameter?: unknown } | undefined;
    if (typeof settings?.tokenParameter === "string") names.add(settings.tokenParameter.toLowerCase());
  }
  return names;
}

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const clock = deps.clock ?? (() => new Date());
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const intake: IntakeDeps = {
    store: deps.store,
    queue: deps.queue,
    policy: deps.policy ?? configPolicy(deps.config),
    logger: deps.logger,
    metrics: deps.metrics,
    ...(deps.sources !== undefined && { sources: deps.sources }),
  };
  const authenticator = new ApiAuthenticator({
    settings: deps.config.api,
    clock,
    ...(deps.githubKeys !== undefined && { githubKeys: deps.githubKeys }),
    ...(deps.fetchJwks !== undefined && { fetchJwks: deps.fetchJwks }),
  });

  app.onError(appErrorHandler(deps.logger));
  app.notFound(onNotFound);
  app.use(
    "*",
    requestContext({
      logger: deps.logger,
      metrics: deps.metrics,
      secretQueryParameters: webhookTokenParameters(deps.config.webhooks),
      now: deps.now ?? (() => performance.now()),
    }),
  );
  app.use("*", apiAccess(authenticator));

  webhookRoutes(app, { webhooks: deps.config.webhooks, intake, clock });
  signatureRoutes(app, { intake, operations: deps.operations, config: deps.config });
  jobRoutes(app, deps.store);
  keyRoutes(app, deps.signers);
  operationsRoutes(app, deps.store, deps.metrics);
  docsRoutes(app, deps.version ?? "0.1.0");
  return app;
}
