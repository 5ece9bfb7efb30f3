// Sign on demand, and the two registry reads ("what is attached", "does it verify"). The reads are
// operations injected by the runtime (they talk to registries through lib/attach's directory of
// configured hosts); the app checks the reference names a configured registry before calling them.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { type IntakeDeps, submitSignature } from "../attach/intake.ts";
import {
  normalizeRegistryHost,
  parseRegistryHostPattern,
  registryHostMatches,
} from "../config/registry-host.ts";
import { parseReference, type Reference } from "../oci/reference.ts";
import { callerSource } from "./api-auth.ts";
import type { AppEnv } from "./env.ts";
import { authProblems, bearer, json, problem } from "./openapi.ts";
import { HttpProblem, ProblemTypes } from "./problem.ts";
import type { Attachment, VerifyReport } from "./schemas.ts";
import {
  AttachmentListSchema,
  ReferenceQuerySchema,
  SignatureAcceptedSchema,
  SignatureRequestSchema,
  VerifyReportSchema,
} from "./schemas.ts";

/** The registry reads behind the REST API, written against lib/attach and injected per runtime. */
export interface ApiOperations {
  /** Everything attached to the image `ref` names (referrers API, fallback tag, cosign `.sig` tag). */
  attachments(ref: string): Promise<Attachment[]>;
  /** Which formats verify for the image `ref` names, with the configured keys. */
  verify(ref: string): Promise<VerifyReport>;
}

export interface SignatureRouteDeps {
  readonly intake: IntakeDeps;
  readonly operations: ApiOperations;
  readonly registries: readonly { readonly host: string }[];
}

/** Parses `ref` and refuses any registry outside the configuration: reads must not become SSRF. */
function configuredReference(ref: string, registries: SignatureRouteDeps["registries"]): Reference {
  const reference = parseReference(ref);
  const host = normalizeRegistryHost(reference.registry);
  const configured =
    host !== undefined &&
    registries.some((registry) => {
      const parsed = parseRegistryHostPattern(registry.host);
      return "pattern" in parsed && registryHostMatches(parsed.pattern, host);
    });
  if (!configured) {
    throw new HttpProblem(
      ProblemTypes.referenceNotAllowed,
      `registry ${JSON.stringify(reference.registry)} is not configured`,
    );
  }
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
    const reference = parseReference(body.reference);
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
    configuredReference(ref, deps.registries);
    const attachments = await deps.operations.attachments(ref);
    return c.json({ reference: ref, attachments }, 200);
  });

  app.openapi(verifyRoute, async (c) => {
    const { ref } = c.req.valid("query");
    configuredReference(ref, deps.registries);
    return c.json(await deps.operations.verify(ref), 200);
  });
}
