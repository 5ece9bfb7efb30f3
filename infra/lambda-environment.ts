/**
 * Environment variables the stack sets on both Lambda functions. This file imports nothing, so the
 * Lambda adapter (`functions/lambda.ts`) can read the names from here without pulling in aws-cdk-lib.
 */
export const LAMBDA_ENVIRONMENT = {
  /** DynamoDB table holding jobs, idempotency records and per-subject leases. */
  tableName: "COUNTERSIGN_TABLE_NAME",
  /** SQS queue URL the HTTP function enqueues attach jobs to (and the worker changes visibility on). */
  queueUrl: "COUNTERSIGN_QUEUE_URL",
  /** Signing key in cosign's URI form, `awskms:///<key arn>`. */
  kmsKeyUri: "COUNTERSIGN_KMS_KEY_URI",
  /** Secrets Manager secret (one JSON document) holding the configuration and its secrets. */
  configSecretName: "COUNTERSIGN_CONFIG_SECRET_NAME",
} as const;

/** The two handlers `functions/lambda.ts` exports; the stack wires one function to each. */
export const LAMBDA_HANDLERS = {
  /** Function URL / API Gateway v2 requests, through `hono/aws-lambda`. */
  http: "http",
  /** SQS batches of attach jobs, answering `batchItemFailures`. */
  sqs: "sqs",
} as const;
