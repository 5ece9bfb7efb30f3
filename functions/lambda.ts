// AWS Lambda entry points (infra/ builds both functions from this file): `http` answers Function URL
// requests (webhooks and the REST API), `sqs` runs attach jobs and reports partial batch failures.
// Importing this module does nothing: the service is built on the first invocation of a container.

import { LambdaRuntime } from "./aws/container.ts";
import { createLambdaHandlers } from "./aws/handlers.ts";

const handlers = createLambdaHandlers(new LambdaRuntime());

export const http = handlers.http;
export const sqs = handlers.sqs;
