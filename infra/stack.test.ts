import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App, Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_SECRET_ACTIONS, ENQUEUE_ACTIONS, SIGNING_ACTIONS, STORE_ACTIONS } from "./access-policy.ts";
import { CountersignStack, type CountersignStackProps } from "./countersign-stack.ts";
import { LAMBDA_ENVIRONMENT } from "./lambda-environment.ts";

// Stand-in for functions/lambda.ts (same `http` and `sqs` exports): NodejsFunction insists that its
// entry exists even when bundling is skipped.
const FIXTURE_ENTRY = path.join(import.meta.dirname, "fixtures", "lambda-handlers.ts");

const outdirs: string[] = [];

/** Synthesizes in-process without esbuild: `aws:cdk:bundling-stacks: []` skips every bundle. */
function synthesize(props: CountersignStackProps = {}, stackName = "Countersign") {
  const outdir = mkdtempSync(path.join(tmpdir(), "countersign-cdk-"));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new CountersignStack(app, stackName, { lambdaEntry: FIXTURE_ENTRY, ...props });
  return { stack, template: Template.fromStack(stack) };
}

type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Sid?: string };

function ref(logicalId: string) {
  return { Ref: logicalId };
}
function arnOf(logicalId: string) {
  return { "Fn::GetAtt": [logicalId, "Arn"] };
}
function actionsOf(statement: Statement): string[] {
  return typeof statement.Action === "string" ? [statement.Action] : statement.Action;
}

let stack: CountersignStack;
let template: Template;
let ids: {
  key: string;
  queue: string;
  dlq: string;
  table: string;
  secret: string;
  http: string;
  worker: string;
};

/** The inline policy statements attached to one function's execution role. */
function statementsFor(functionLogicalId: string): Statement[] {
  const fn = template.toJSON().Resources[functionLogicalId] as Resource;
  const role = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  const policies = Object.values(template.findResources("AWS::IAM::Policy")) as Resource[];
  return policies
    .filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(role))),
    )
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

beforeAll(() => {
  ({ stack, template } = synthesize());
  ids = {
    key: stack.getLogicalId(stack.signingKey.key.node.defaultChild as never),
    queue: stack.getLogicalId(stack.attachQueue.queue.node.defaultChild as never),
    dlq: stack.getLogicalId(stack.attachQueue.deadLetterQueue.node.defaultChild as never),
    table: stack.getLogicalId(stack.jobTable.table.node.defaultChild as never),
    secret: stack.getLogicalId(stack.configSecret.node.defaultChild as never),
    http: stack.getLogicalId(stack.functions.http.node.defaultChild as never),
    worker: stack.getLogicalId(stack.functions.worker.node.defaultChild as never),
  };
});

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe("KMS signing key", () => {
  it("is an ECC_NIST_P256 SIGN_VERIFY key that survives stack deletion", () => {
    template.resourceCountIs("AWS::KMS::Key", 1);
    template.hasResource("AWS::KMS::Key", {
      Properties: Match.objectLike({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }),
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });

  it("has an alias named after the stack", () => {
    template.hasResourceProperties("AWS::KMS::Alias", {
      AliasName: "alias/Countersign",
      TargetKeyId: arnOf(ids.key),
    });
  });

  it("takes another alias when asked", () => {
    synthesize({ keyAlias: "alias/signing-prod" }).template.hasResourceProperties("AWS::KMS::Alias", {
      AliasName: "alias/signing-prod",
    });
  });
});

describe("attach queue", () => {
  it("dead-letters a job after 5 deliveries", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      RedrivePolicy: { deadLetterTargetArn: arnOf(ids.dlq), maxReceiveCount: 5 },
    });
  });

  it("hides a message for six times the worker's timeout", () => {
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const workerTimeout = resources[ids.worker]!.Properties.Timeout as number;
    expect(workerTimeout).toBe(120);
    expect(resources[ids.queue]!.Properties.VisibilityTimeout).toBe(6 * workerTimeout);
  });

  it("keeps the six-fold visibility timeout when the worker timeout changes", () => {
    const { template: t } = synthesize({ workerTimeout: Duration.minutes(5) });
    t.hasResourceProperties("AWS::Lambda::Function", { Handler: "index.sqs", Timeout: 300 });
    t.hasResourceProperties("AWS::SQS::Queue", { VisibilityTimeout: 1800, RedrivePolicy: Match.anyValue() });
  });

  it("keeps dead letters longer than the source queue keeps jobs", () => {
    const resources = template.toJSON().Resources as Record<string, Resource>;
    const jobs = resources[ids.queue]!.Properties.MessageRetentionPeriod as number;
    const dead = resources[ids.dlq]!.Properties.MessageRetentionPeriod as number;
    expect(dead).toBe(14 * 24 * 3600);
    expect(dead).toBeGreaterThan(jobs);
  });

  it("encrypts both queues and refuses plain HTTP", () => {
    for (const id of [ids.queue, ids.dlq]) {
      expect((template.toJSON().Resources[id] as Resource).Properties.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        Queues: [ref(id)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    }
  });
});

describe("DynamoDB table", () => {
  it("is pay-per-request with string pk/sk, TTL on expiresAt and point-in-time recovery", () => {
    template.resourceCountIs("AWS::DynamoDB::Table", 1);
    template.hasResource("AWS::DynamoDB::Table", {
      Properties: {
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      DeletionPolicy: "Retain",
    });
  });
});

describe("Lambda functions", () => {
  it("runs both handlers on nodejs24.x, arm64, from one entry", () => {
    template.resourceCountIs("AWS::Lambda::Function", 2);
    for (const handler of ["index.http", "index.sqs"]) {
      template.hasResourceProperties("AWS::Lambda::Function", {
        Handler: handler,
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        MemorySize: 512,
      });
    }
  });

  it("tells both functions where the table, queue, key and config secret are", () => {
    const expected = {
      [LAMBDA_ENVIRONMENT.tableName]: ref(ids.table),
      [LAMBDA_ENVIRONMENT.queueUrl]: ref(ids.queue),
      [LAMBDA_ENVIRONMENT.kmsKeyUri]: { "Fn::Join": ["", ["awskms:///", arnOf(ids.key)]] },
      [LAMBDA_ENVIRONMENT.configSecretName]: "Countersign/config",
      NODE_OPTIONS: "--enable-source-maps",
    };
    for (const id of [ids.http, ids.worker]) {
      const fn = template.toJSON().Resources[id] as Resource;
      expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual(expected);
    }
  });

  it("adds the operator's environment variables for { env: NAME } secrets, never over its own", () => {
    const { template: t } = synthesize({ environment: { REGISTRY_PASSWORD: "from-the-operator" } });
    t.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.sqs",
      Environment: {
        Variables: Match.objectLike({
          REGISTRY_PASSWORD: "from-the-operator",
          NODE_OPTIONS: "--enable-source-maps",
        }),
      },
    });
    expect(() => synthesize({ environment: { COUNTERSIGN_QUEUE_URL: "x" } })).toThrow(
      "environment: COUNTERSIGN_QUEUE_URL is reserved by Lambda or set by the stack itself",
    );
    expect(() => synthesize({ environment: { AWS_REGION: "x" } })).toThrow(/AWS_REGION is reserved/);
    expect(() => synthesize({ environment: { "BAD-NAME": "x" } })).toThrow(
      /"BAD-NAME" is not a variable name/,
    );
  });

  it("passes a hyphenated stack's secret name through intact", () => {
    // CDK's own `secretName` token re-parses the ARN by splitting on "-": "countersign-prod/config"
    // would come out as "countersign".
    const { template: t } = synthesize({}, "countersign-prod");
    t.hasResourceProperties("AWS::Lambda::Function", {
      Handler: "index.http",
      Environment: {
        Variables: Match.objectLike({ COUNTERSIGN_CONFIG_SECRET_NAME: "countersign-prod/config" }),
      },
    });
    t.hasResourceProperties("AWS::SecretsManager::Secret", { Name: "countersign-prod/config" });
  });

  it("feeds the worker from the queue with partial batch failures, a batch size and a concurrency cap", () => {
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 1);
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: ref(ids.worker),
      EventSourceArn: arnOf(ids.queue),
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it("exposes only the HTTP function, through a public Function URL without CORS", () => {
    template.resourceCountIs("AWS::Lambda::Url", 1);
    const url = Object.values(template.findResources("AWS::Lambda::Url"))[0] as Resource;
    expect(url.Properties).toEqual({ AuthType: "NONE", TargetFunctionArn: arnOf(ids.http) });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunctionUrl",
      FunctionName: arnOf(ids.http),
      FunctionUrlAuthType: "NONE",
      Principal: "*",
    });
  });
});

describe("least-privilege IAM", () => {
  it("gives the HTTP function exactly: sign with the key, read/write the table, read the secret, enqueue", () => {
    expect(statementsFor(ids.http)).toEqual([
      {
        Sid: "SignWithCountersignKey",
        Effect: "Allow",
        Action: [...SIGNING_ACTIONS],
        Resource: arnOf(ids.key),
      },
      { Sid: "ReadWriteJobTable", Effect: "Allow", Action: [...STORE_ACTIONS], Resource: arnOf(ids.table) },
      {
        Sid: "ReadConfigSecret",
        Effect: "Allow",
        Action: CONFIG_SECRET_ACTIONS[0],
        Resource: ref(ids.secret),
      },
      { Sid: "EnqueueAttachJobs", Effect: "Allow", Action: ENQUEUE_ACTIONS[0], Resource: arnOf(ids.queue) },
    ]);
  });

  it("gives the worker exactly: consume the queue, sign with the key, read/write the table, read the secret", () => {
    expect(statementsFor(ids.worker)).toEqual([
      {
        Effect: "Allow",
        Action: [
          "sqs:ReceiveMessage",
          "sqs:ChangeMessageVisibility",
          "sqs:GetQueueUrl",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
        ],
        Resource: arnOf(ids.queue),
      },
      {
        Sid: "SignWithCountersignKey",
        Effect: "Allow",
        Action: [...SIGNING_ACTIONS],
        Resource: arnOf(ids.key),
      },
      { Sid: "ReadWriteJobTable", Effect: "Allow", Action: [...STORE_ACTIONS], Resource: arnOf(ids.table) },
      {
        Sid: "ReadConfigSecret",
        Effect: "Allow",
        Action: CONFIG_SECRET_ACTIONS[0],
        Resource: ref(ids.secret),
      },
    ]);
  });

  it("names kms:Sign and kms:GetPublicKey, never a wildcard action", () => {
    expect(SIGNING_ACTIONS).toEqual(["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"]);
    const all = (Object.values(template.findResources("AWS::IAM::Policy")) as Resource[]).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    for (const statement of all) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
    }
  });

  it("has no '*' resource in any role statement, and KMS/DynamoDB statements name only the key/table", () => {
    const all = (Object.values(template.findResources("AWS::IAM::Policy")) as Resource[]).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(all.length).toBeGreaterThan(0);
    for (const statement of all) {
      expect(JSON.stringify(statement.Resource)).not.toContain("*");
      const actions = actionsOf(statement);
      if (actions.some((a) => a.startsWith("kms:"))) expect(statement.Resource).toEqual(arnOf(ids.key));
      if (actions.some((a) => a.startsWith("dynamodb:")))
        expect(statement.Resource).toEqual(arnOf(ids.table));
      if (actions.some((a) => a.startsWith("secretsmanager:")))
        expect(statement.Resource).toEqual(ref(ids.secret));
    }
  });

  it("lets no role manage keys, tables or secrets", () => {
    const all = (Object.values(template.findResources("AWS::IAM::Policy")) as Resource[]).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    const granted = new Set(all.flatMap(actionsOf));
    for (const forbidden of [
      "kms:Decrypt",
      "kms:ScheduleKeyDeletion",
      "kms:PutKeyPolicy",
      "dynamodb:Scan",
      "dynamodb:DeleteTable",
      "secretsmanager:PutSecretValue",
      "sqs:PurgeQueue",
    ]) {
      expect(granted.has(forbidden)).toBe(false);
    }
  });
});

describe("configuration secret", () => {
  it("is one Secrets Manager secret whose deployed value holds no secret", () => {
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
    template.resourceCountIs("AWS::SSM::Parameter", 0);
    template.hasResource("AWS::SecretsManager::Secret", {
      Properties: Match.objectLike({ Name: "Countersign/config", SecretString: "{}" }),
      DeletionPolicy: "Retain",
    });
  });
});

describe("dead-letter alarm", () => {
  it("fires on the first visible dead letter and notifies the alert topic", () => {
    template.resourceCountIs("AWS::CloudWatch::Alarm", 1);
    const topic = stack.getLogicalId(stack.alerts.node.defaultChild as never);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [ids.dlq, "QueueName"] } }],
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 0,
      EvaluationPeriods: 1,
      Statistic: "Maximum",
      TreatMissingData: "notBreaching",
      AlarmActions: [ref(topic)],
    });
  });
});

describe("outputs", () => {
  it("publishes the function URL, queue URL, key ARN and table name", () => {
    const urlId = stack.getLogicalId(stack.functions.url.node.defaultChild as never);
    template.hasOutput("FunctionUrl", { Value: { "Fn::GetAtt": [urlId, "FunctionUrl"] } });
    template.hasOutput("QueueUrl", { Value: ref(ids.queue) });
    template.hasOutput("KeyArn", { Value: arnOf(ids.key) });
    template.hasOutput("TableName", { Value: ref(ids.table) });
    template.hasOutput("ConfigSecretName", { Value: "Countersign/config" });
  });
});
