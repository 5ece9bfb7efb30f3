// Job status: what intake queued and what the worker recorded.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { HttpProblem, ProblemTypes } from "../../lib/api/problem.ts";
import { getJobRoute, listJobsRoute } from "../../lib/api/routes.ts";
import type { Store } from "../../lib/store/store.ts";
import type { AppEnv } from "./env.ts";

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
