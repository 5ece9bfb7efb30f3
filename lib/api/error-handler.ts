// The edge of every error: typed errors become problem+json (RFC 9457) with the request id as
// `instance`; server faults are logged with their cause chain (redacted), never sent to the client.

import type { Hook } from "@hono/zod-openapi";
import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../observability/logger.ts";
import type { AppEnv } from "./env.ts";
import { describeIssues, type MappedProblem, problemForError, zodIssues } from "./error-problem.ts";
import { HttpProblem, type ProblemType, ProblemTypes, problemBody, problemResponse } from "./problem.ts";

function respond(c: Parameters<ErrorHandler<AppEnv>>[1], mapped: MappedProblem): Response {
  const body = problemBody(mapped.problem, mapped.detail, c.get("requestId"), mapped.errors);
  return problemResponse(body, mapped.headers);
}

const HONO_STATUS_PROBLEMS: Readonly<Record<number, ProblemType>> = {
  400: ProblemTypes.invalidRequest,
  401: ProblemTypes.unauthorized,
  404: ProblemTypes.notFound,
  413: ProblemTypes.payloadTooLarge,
  415: ProblemTypes.unsupportedMediaType,
};

export const appErrorHandler =
  (logger: Logger): ErrorHandler<AppEnv> =>
  (error, c) => {
    // Set by the request-context middleware, unless the error happened before it ran.
    const log = c.get("log") ?? logger;
    if (error instanceof HTTPException && !(error.status >= 500)) {
      // Hono's own refusals (malformed JSON, body limit): their messages are fixed strings.
      const problem = HONO_STATUS_PROBLEMS[error.status] ?? ProblemTypes.invalidRequest;
      const mapped = { problem, detail: error.message || problem.title, serverFault: false };
      log.info("request refused", { problem: problem.type, detail: mapped.detail });
      return respond(c, mapped);
    }
    const mapped = problemForError(error);
    if (mapped.serverFault) log.error("request failed", { problem: mapped.problem.type, error });
    else log.info("request refused", { problem: mapped.problem.type, detail: mapped.detail });
    return respond(c, mapped);
  };

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, {
    problem: ProblemTypes.notFound,
    detail: `no route for ${c.req.method} ${c.req.path}`,
    serverFault: false,
  });

const TARGET_NAMES: Readonly<Record<string, string>> = {
  json: "request body",
  query: "query",
  param: "path parameter",
  header: "header",
};

/** zod-openapi's validation hook: a failed parse becomes a 400 problem naming each field. */
export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return;
  const errors = zodIssues(result.error);
  const where = TARGET_NAMES[result.target] ?? result.target;
  throw new HttpProblem(ProblemTypes.invalidRequest, describeIssues(errors, where), { errors });
};
