// Sign on demand, and the two registry reads ("what is attached", "does it verify", registry-reads.ts,
// injected so that app tests need no registry). A reference is parsed once here; the reads run only
// for a repository the policy allows (the repository part of what webhooks are held to), so a read
// can no more reach an unconfigured repository than a push can.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { type IntakeDeps, submitSignature } from "../attach/intake.ts";
import { type DecisionConfig, decideRepository } from "../attach/policy.ts";
import { parseSubjectReference, type Reference } from "../oci/reference.ts";
import { callerSource } from "./api-auth.ts";
import type { AppEnv } from "./env.ts";
import { authProblems, bearer, json, problem } from "./openapi.ts";
import { HttpProblem, ProblemTypes } from "./problem.ts";
import type { ApiOperations } from "./registry-reads.ts";
import {
  AttachmentListSchema,
  ReferenceQuerySchema,
  SignatureAcceptedSchema,
  SignatureRequestSchema,
  VerifyReportSchema,
} from "./schemas.ts";

export interface SignatureRouteDeps {
  readonly intake: IntakeDeps;
  readonly operations: ApiOperations;
  /** Registries and policy: what reads are held to. */
  readonly config: DecisionConfig;
}

/**
 * Parses `ref` once, and refuses any registry or repository the policy does not allow before any
 * registry request: reads must not become SSRF, nor a way around `registries[].repositories`.
 */
function allowedReference(ref: string, config: DecisionConfig): Reference {
  const reference = parseSubjectReference(ref);
  const decision = decideRepository(reference, config);
  if (!decision.allowed) throw new HttpProblem(ProblemTypes.referenceNotAllowed, decision.reason);
  return reference;
}

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
    403: problem("The policy does not allow this registry or repository (no registry request was made)."),
    404: problem("The registry does not have this image."),
    502: problem("The registry answered with an error."),
    504: problem("The registry did not answer in time."),
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
    403: problem("The policy does not allow this registry or repository (no registry request was made)."),
    404: problem("The registry does not have this image."),
    502: problem("The registry answered with an error."),
    504: problem("The registry did not answer in time."),
  },
});

/** A signature request is a reference and a few options: a few hundred bytes. */
const MAX_SIGNATURE_REQUEST_BYTES = 64 * 1024;

export function signatureRoutes(app: OpenAPIHono<AppEnv>, deps: SignatureRouteDeps): void {
  app.use(
    signRoute.getRoutingPath(),
    bodyLimit({
      maxSize: MAX_SIGNATURE_REQUEST_BYTES,
      onError: () => {
        throw new HttpProblem(
          ProblemTypes.payloadTooLarge,
          `the request body exceeds ${MAX_SIGNATURE_REQUEST_BYTES} bytes`,
        );
      },
    }),
  );
  app.openapi(signRoute, async (c) => {
    const caller = c.get("caller");
    // The access middleware authenticates this path unconditionally; this guards a miswired app.
    if (caller === undefined) throw new HttpProblem(ProblemTypes.unauthorized, "credentials are required");
    const body = c.req.valid("json");
    const reference = parseSubjectReference(body.reference);
    const job = await submitSignature(
      {
        registry: reference.registry,
        repository: reference.repository,
        tag: reference.tag,
        digest: reference.digest,
        formats: body.formats,
        recursive: body.recursive,
        source: callerSource(caller),
      },
      { ...deps.intake, logger: c.get("log") },
    );
    const link = `/v1/jobs/${encodeURIComponent(job.id)}`;
    c.header("Location", link);
    return c.json({ jobId: job.id, status: job.status, request: job.request, links: { job: link } }, 202);
  });

  app.openapi(attachmentsRoute, async (c) => {
    const { ref } = c.req.valid("query");
    const attachments = await deps.operations.attachments(allowedReference(ref, deps.config));
    return c.json({ reference: ref, attachments }, 200);
  });

  app.openapi(verifyRoute, async (c) => {
    const { ref } = c.req.valid("query");
    const report = await deps.operations.verify(allowedReference(ref, deps.config));
    return c.json({ reference: ref, ...report }, 200);
  });
}
