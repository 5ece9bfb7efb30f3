// Every REST route declared once, with its schemas and responses: the app binds handlers to these and
// the OpenAPI 3.1 document is generated from them.
import { createRoute, z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import {
  AttachmentListSchema,
  HealthSchema,
  JobIdParamSchema,
  JobListQuerySchema,
  JobListSchema,
  JobSchema,
  JwksSchema,
  KeyListSchema,
  ProblemSchema,
  ReferenceQuerySchema,
  SignatureAcceptedSchema,
  SignatureRequestSchema,
  VerifyReportSchema,
  WebhookAcceptedSchema,
  WebhookNameParamSchema,
} from "./schemas.ts";

export const BEARER_SCHEME = "bearerAuth";

/** Routes that need no credentials at all, whatever is configured. */
export const PUBLIC_PATHS: readonly string[] = [
  "/healthz",
  "/metrics",
  "/.well-known/jwks.json",
  "/v1/keys",
  "/openapi.json",
  "/docs",
];

const bearer = [{ [BEARER_SCHEME]: [] }];

function problem(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } };
}

function json<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}

const authProblems = {
  401: problem("No or invalid credentials (when API credentials are configured)."),
  403: problem("The credentials are valid but not allowed to do this."),
};

export const signRoute = createRoute({
  method: "post",
  path: "/v1/signatures",
  tags: ["signatures"],
  summary: "Sign an image on demand",
  description:
    "Queues an attach job for the reference. Authorized by an API token or a GitHub Actions OIDC token; the reference must pass the same policy as webhook events.",
  security: bearer,
  request: { body: { required: true, content: { "application/json": { schema: SignatureRequestSchema } } } },
  responses: {
    202: json("The job was queued.", SignatureAcceptedSchema),
    400: problem("The body or the reference is invalid."),
    ...authProblems,
    503: problem("The store or the queue is unavailable."),
  },
});

export const attachmentsRoute = createRoute({
  method: "get",
  path: "/v1/attachments",
  tags: ["signatures"],
  summary: "What is attached to an image",
  security: bearer,
  request: { query: ReferenceQuerySchema },
  responses: {
    200: json("The artifacts attached to the image.", AttachmentListSchema),
    400: problem("The reference is invalid."),
    ...authProblems,
    502: problem("The registry answered with an error."),
  },
});

export const verifyRoute = createRoute({
  method: "get",
  path: "/v1/verify",
  tags: ["signatures"],
  summary: "Which formats verify with the configured keys",
  security: bearer,
  request: { query: ReferenceQuerySchema },
  responses: {
    200: json("One result per signature found (or missing) per format.", VerifyReportSchema),
    400: problem("The reference is invalid."),
    ...authProblems,
    502: problem("The registry answered with an error."),
  },
});

export const getJobRoute = createRoute({
  method: "get",
  path: "/v1/jobs/{id}",
  tags: ["jobs"],
  summary: "One attach job, with its outcome per format",
  security: bearer,
  request: { params: JobIdParamSchema },
  responses: {
    200: json("The job.", JobSchema),
    ...authProblems,
    404: problem("No job has this id."),
  },
});

export const listJobsRoute = createRoute({
  method: "get",
  path: "/v1/jobs",
  tags: ["jobs"],
  summary: "Recent attach jobs, newest first",
  security: bearer,
  request: { query: JobListQuerySchema },
  responses: {
    200: json("The jobs.", JobListSchema),
    400: problem("Invalid status or limit."),
    ...authProblems,
  },
});

export const keysRoute = createRoute({
  method: "get",
  path: "/v1/keys",
  tags: ["keys"],
  summary: "The public keys signatures are made with (PEM and JWK)",
  responses: { 200: json("The configured signing keys.", KeyListSchema) },
});

export const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["keys"],
  summary: "The public keys as a JWK Set (RFC 7517)",
  responses: { 200: json("The configured signing keys.", JwksSchema) },
});

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
    "Authenticates the sender as the named webhook's source kind requires (header secret, HMAC, URL token or OIDC), parses the events, applies the policy, and queues one attach job per allowed push. Redeliveries are recognised by their delivery id. Bodies over 1 MiB are refused.",
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
    400: problem("The payload is not what this source sends; `errors` names the field."),
    401: problem("The sender could not be authenticated. Nothing was parsed and no request was made."),
    404: problem("No webhook is configured under this name."),
    413: problem("The body is larger than 1 MiB."),
    503: problem("The sender's credentials cannot be checked right now (e.g. key set unreachable)."),
  },
});

export const openApiRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  tags: ["operations"],
  summary: "This API's OpenAPI 3.1 description",
  responses: {
    200: json("The OpenAPI document.", z.record(z.string(), z.unknown()).openapi({ type: "object" })),
  },
});

export const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  tags: ["operations"],
  summary: "Human-readable API documentation (static HTML, no scripts)",
  responses: {
    200: { description: "The documentation page.", content: { "text/html": { schema: z.string() } } },
  },
});
