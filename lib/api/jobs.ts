// Job status: what intake queued and what the worker recorded.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Store } from "../store/store.ts";
import type { AppEnv } from "./env.ts";
import { authProblems, bearer, json, problem } from "./openapi.ts";
import { HttpProblem, ProblemTypes } from "./problem.ts";
import { JobIdParamSchema, JobListQuerySchema, JobListSchema, JobSchema } from "./schemas.ts";

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

export function jobRoutes(app: OpenAPIHono<AppEnv>, store: Store): void {
  app.openapi(getJobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const job = await store.getJob(id);
    if (job === undefined)
      throw new HttpProblem(ProblemTypes.jobNotFound, `no job has id ${JSON.stringify(id)}`);
    return c.json(job, 200);
  });

  app.openapi(listJobsRoute, async (c) => {
    const { status, limit } = c.req.valid("query");
    const jobs = await store.listJobs({
      ...(status !== undefined && { status }),
      ...(limit !== undefined && { limit }),
    });
    return c.json({ jobs }, 200);
  });
}
