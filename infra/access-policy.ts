import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import type { IQueue } from "aws-cdk-lib/aws-sqs";

// Least privilege, one statement per resource, every statement naming exactly one ARN. The CDK
// `grant*` helpers are not used for KMS and DynamoDB because they add actions Countersign never
// calls (kms:Verify, dynamodb:Scan, streams) and, for keys, statements in the key policy.

/** Sign, plus what the signer needs to build JWKS/PEM and check the key spec at start-up. */
export const SIGNING_ACTIONS = ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"] as const;

/**
 * Item-level operations of the DynamoDB store: conditional puts for idempotency, conditional
 * updates and deletes for leases, queries for job history. TransactWriteItems is authorized per
 * item through these same actions. No Scan: every read goes through a key.
 */
export const STORE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
] as const;

export const ENQUEUE_ACTIONS = ["sqs:SendMessage"] as const;

export const CONFIG_SECRET_ACTIONS = ["secretsmanager:GetSecretValue"] as const;

export function allowSigning(fn: IFunction, key: IKey): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: "SignWithCountersignKey",
      actions: [...SIGNING_ACTIONS],
      resources: [key.keyArn],
    }),
  );
}

export function allowStore(fn: IFunction, table: ITable): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: "ReadWriteJobTable",
      actions: [...STORE_ACTIONS],
      resources: [table.tableArn],
    }),
  );
}

export function allowEnqueue(fn: IFunction, queue: IQueue): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: "EnqueueAttachJobs",
      actions: [...ENQUEUE_ACTIONS],
      resources: [queue.queueArn],
    }),
  );
}

export function allowConfigSecret(fn: IFunction, secret: ISecret): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: "ReadConfigSecret",
      actions: [...CONFIG_SECRET_ACTIONS],
      resources: [secret.secretArn],
    }),
  );
}
