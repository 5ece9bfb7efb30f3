// Problem details (RFC 9457) for every error the service answers. Each problem type is one entry of
// this catalogue; the docs page lists them, so a client can branch on `type` without parsing `detail`.

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ProblemType {
  /** RFC 9457 §3.1.1: a URI naming the type. A URN, because nothing should try to dereference it. */
  readonly type: string;
  readonly title: string;
  readonly status: number;
}

function problemType(slug: string, title: string, status: number): ProblemType {
  return { type: `urn:countersign:problem:${slug}`, title, status };
}

export const ProblemTypes = {
  invalidRequest: problemType("invalid-request", "The request is invalid", 400),
  invalidReference: problemType("invalid-reference", "The image reference is invalid", 400),
  invalidWebhookPayload: problemType("invalid-webhook-payload", "The webhook payload is invalid", 400),
  unauthorized: problemType("unauthorized", "Authentication is required", 401),
  webhookUnauthorized: problemType(
    "webhook-unauthorized",
    "The webhook sender could not be authenticated",
    401,
  ),
  forbidden: problemType("forbidden", "The caller may not do this", 403),
  referenceNotAllowed: problemType("reference-not-allowed", "The policy does not allow this reference", 403),
  notFound: problemType("not-found", "Not found", 404),
  webhookNotFound: problemType("webhook-not-found", "No webhook is configured under this name", 404),
  jobNotFound: problemType("job-not-found", "No such job", 404),
  imageNotFound: problemType("image-not-found", "The registry does not have this image", 404),
  payloadTooLarge: problemType("payload-too-large", "The request body is too large", 413),
  unsupportedMediaType: problemType(
    "unsupported-media-type",
    "The request body's media type is not accepted",
    415,
  ),
  headersTooLarge: problemType("headers-too-large", "The request line or headers are too large", 431),
  registryError: problemType("registry-error", "The registry answered with an error", 502),
  registryTimeout: problemType("registry-timeout", "The registry did not answer in time", 504),
  authUnavailable: problemType(
    "auth-unavailable",
    "The sender's credentials cannot be checked right now",
    503,
  ),
  storeUnavailable: problemType("store-unavailable", "The store is unavailable", 503),
  queueUnavailable: problemType("queue-unavailable", "The job queue is unavailable", 503),
  internal: problemType("internal", "Internal error", 500),
} as const satisfies Record<string, ProblemType>;

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The request id: quote it when reporting a problem, it finds the log lines. */
  readonly instance?: string;
  /** For invalid input: each offending field (dotted path) and what is wrong with it. */
  readonly errors?: readonly FieldIssue[];
}

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Thrown anywhere below the edge to answer with a given problem. `detail` is sent to the client, so it
 * must never hold a secret (a received credential, a registry password, a token).
 */
export class HttpProblem extends Error {
  override readonly name = "HttpProblem";
  readonly problem: ProblemType;
  readonly detail: string;
  readonly errors: readonly FieldIssue[] | undefined;
  /** Extra response headers (`WWW-Authenticate` on 401). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    problem: ProblemType,
    detail: string,
    options?: ErrorOptions & {
      readonly errors?: readonly FieldIssue[];
      readonly headers?: Readonly<Record<string, string>>;
    },
  ) {
    super(detail, options);
    this.problem = problem;
    this.detail = detail;
    this.errors = options?.errors;
    this.headers = options?.headers ?? {};
  }
}

export function problemBody(
  problem: ProblemType,
  detail: string,
  instance?: string,
  errors?: readonly FieldIssue[],
): Problem {
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail,
    ...(instance !== undefined && { instance }),
    ...(errors !== undefined && errors.length > 0 && { errors }),
  };
}

export function problemResponse(body: Problem, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store" },
  });
}
