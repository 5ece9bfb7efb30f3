// The two Lambda entry points over one LambdaRuntime: `http` for Function URL and API Gateway HTTP API
// (payload format 2.0) requests, translated by hono/aws-lambda to the shared Hono app, and `sqs` for
// batches of attach jobs. Nothing here decides anything: the app and the worker do.
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { Hono } from "hono";
import { type APIGatewayProxyResult, handle, type LambdaEvent } from "hono/aws-lambda";
import { PROBLEM_CONTENT_TYPE, ProblemTypes, problemBody } from "../../lib/api/problem.ts";
import { createLogger } from "../../lib/observability/logger.ts";
import type { LambdaRuntime } from "./container.ts";
import { processSqsBatch } from "./sqs-batch.ts";

/** Function URL and HTTP API (payload 2.0) events; hono/aws-lambda also reads API Gateway v1 and ALB events. */
export type HttpHandler = (
  event: APIGatewayProxyEventV2 | LambdaEvent,
  context?: Context,
) => Promise<APIGatewayProxyResult>;
export type SqsHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

export interface LambdaHandlers {
  readonly http: HttpHandler;
  readonly sqs: SqsHandler;
}

// The service's own logger may be what failed to start: this one exists from the import on (and
// redacts like every logger of the service).
const startupLog = createLogger({
  write: (line) => console.error(line),
  bindings: { service: "countersign", runtime: "lambda" },
});

export function createLambdaHandlers(runtime: LambdaRuntime): LambdaHandlers {
  // One adapter per app: the app changes only when the configuration does.
  const adapters = new WeakMap<object, ReturnType<typeof handle>>();
  return {
    async http(event, context) {
      let app: Hono;
      try {
        app = (await runtime.container()).service.app as unknown as Hono;
      } catch (error) {
        startupLog.error("countersign failed to start", { error: describe(error) });
        return startupFailure();
      }
      let adapter = adapters.get(app);
      if (adapter === undefined) {
        adapter = handle(app);
        adapters.set(app, adapter);
      }
      // @types/aws-lambda leaves `body` out of bodiless requests where hono's type says null; the
      // adapter only tests it for truthiness.
      return adapter(event as LambdaEvent, context);
    },
    async sqs(event) {
      // A failed start throws: Lambda then returns the whole batch to the queue, as it should.
      const { worker } = await runtime.container();
      return processSqsBatch(event, worker);
    },
  };
}

/** A 500 problem without detail (the log has it): webhook senders retry on any 5xx. */
function startupFailure(): APIGatewayProxyResult {
  const body = problemBody(ProblemTypes.internal, "the service could not start; see the function's logs");
  return {
    statusCode: body.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store" },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** Name and message only: configuration and environment errors never quote values. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
