// What every route declaration shares: the bearer scheme and the response shapes (JSON bodies, RFC 9457
// problems), so each route file declares its routes beside its handlers and the OpenAPI 3.1 document
// is generated from them.
import type { z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { ProblemSchema } from "./schemas.ts";

export const BEARER_SCHEME = "bearerAuth";

export const bearer = [{ [BEARER_SCHEME]: [] }];

export function problem(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } };
}

export function json<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}

export const authProblems = {
  401: problem("No or invalid credentials (when API credentials are configured)."),
  403: problem("The credentials are valid but not allowed to do this."),
};
