import path from "node:path";
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps } from "aws-cdk-lib";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { allowConfigSecret, allowEnqueue, allowSigning, allowStore } from "./access-policy.ts";
import { AttachQueue } from "./attach-queue.ts";
import { JobTable } from "./job-table.ts";
import { LAMBDA_ENVIRONMENT } from "./lambda-environment.ts";
import { ServiceFunctions } from "./service-functions.ts";
import { SigningKey } from "./signing-key.ts";

/** The repository root: the Lambda entry, the lockfile and the bundling project all live there. */
export const REPOSITORY_ROOT = path.resolve(import.meta.dirname, "..");

/** The Lambda adapter the stack deploys; it exports the `http` and `sqs` handlers. */
export const DEFAULT_LAMBDA_ENTRY = path.join(REPOSITORY_ROOT, "functions", "lambda.ts");

/** AWS's guidance for SQS event sources: visibility timeout at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface CountersignStackProps extends StackProps {
  /** Defaults to `functions/lambda.ts` in this repository. */
  readonly lambdaEntry?: string;
  /** Defaults to `alias/<stack name>`. */
  readonly keyAlias?: string;
  /** Defaults to 2 minutes: an index with many children signs each child in one job. */
  readonly workerTimeout?: Duration;
  /** Defaults to 5. */
  readonly workerBatchSize?: number;
  /** Defaults to 10: about 300 ECC Sign calls per second is the default KMS quota per account and region. */
  readonly workerMaxConcurrency?: number;
  /** Defaults to 5 deliveries before a job is dead-lettered. */
  readonly maxReceiveCount?: number;
  /** Defaults to 512 MB for both functions. */
  readonly memorySize?: number;
  /**
   * More environment variables for both functions: what `{ "env": "NAME" }` in the configuration reads
   * (e.g. REGISTRY_PASSWORD). Their values are visible in the template and the Lambda console, so a
   * secret is better written as a literal inside the configuration secret; this is for the rest.
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** Names Lambda reserves (AWS_*, LAMBDA_*, _HANDLER, …) or the stack sets itself. */
const RESERVED_ENVIRONMENT =
  /^(AWS_|LAMBDA_|_|COUNTERSIGN_(TABLE_NAME|QUEUE_URL|KMS_KEY_URI|CONFIG_SECRET_NAME)$|NODE_OPTIONS$|TZ$)/;

/** The extra environment, checked: one line naming the variable when a name cannot be used. */
export function checkedEnvironment(environment: Readonly<Record<string, string>>): Record<string, string> {
  for (const [name, value] of Object.entries(environment)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`environment: ${JSON.stringify(name)} is not a variable name (letters, digits, _)`);
    }
    if (RESERVED_ENVIRONMENT.test(name)) {
      throw new Error(`environment: ${name} is reserved by Lambda or set by the stack itself`);
    }
    if (typeof value !== "string") throw new Error(`environment: ${name} must be a string`);
  }
  return { ...environment };
}

/** Countersign on AWS: Function URL → SQS → worker, KMS signing key, DynamoDB store, one config secret. */
export class CountersignStack extends Stack {
  readonly signingKey: SigningKey;
  readonly attachQueue: AttachQueue;
  readonly jobTable: JobTable;
  readonly configSecret: Secret;
  readonly functions: ServiceFunctions;
  readonly alerts: Topic;

  constructor(scope: Construct, id: string, props: CountersignStackProps = {}) {
    super(scope, id, props);
    const workerTimeout = props.workerTimeout ?? Duration.minutes(2);

    this.signingKey = new SigningKey(this, "Signing", {
      aliasName: props.keyAlias ?? `alias/${this.stackName}`,
    });
    this.attachQueue = new AttachQueue(this, "Attach", {
      visibilityTimeout: Duration.seconds(workerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      maxReceiveCount: props.maxReceiveCount ?? 5,
    });
    this.jobTable = new JobTable(this, "Store");
    // The name is passed on as the literal we chose: CDK's `secretName` for an owned secret re-parses
    // the ARN by splitting on "-", which breaks for stack names containing hyphens.
    const configSecretName = `${this.stackName}/config`;
    this.configSecret = new Secret(this, "Config", {
      secretName: configSecretName,
      description: "Countersign configuration (JSON): registries, webhook secrets, API tokens",
      // The deployed value is an empty JSON object, not a secret; operators put the real document
      // with `aws secretsmanager put-secret-value`, and CloudFormation leaves it alone on later
      // deploys because this template value never changes.
      secretStringValue: SecretValue.unsafePlainText("{}"),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.functions = new ServiceFunctions(this, "Service", {
      entry: props.lambdaEntry ?? DEFAULT_LAMBDA_ENTRY,
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: path.join(REPOSITORY_ROOT, "package-lock.json"),
      queue: this.attachQueue.queue,
      memorySize: props.memorySize ?? 512,
      worker: {
        timeout: workerTimeout,
        batchSize: props.workerBatchSize ?? 5,
        maxConcurrency: props.workerMaxConcurrency ?? 10,
      },
      environment: {
        ...checkedEnvironment(props.environment ?? {}),
        [LAMBDA_ENVIRONMENT.tableName]: this.jobTable.table.tableName,
        [LAMBDA_ENVIRONMENT.queueUrl]: this.attachQueue.queue.queueUrl,
        [LAMBDA_ENVIRONMENT.kmsKeyUri]: this.signingKey.uri,
        [LAMBDA_ENVIRONMENT.configSecretName]: configSecretName,
      },
    });
    // Both sign: the worker for pushes, the HTTP function for POST /v1/signatures; both serve keys.
    for (const fn of [this.functions.http, this.functions.worker]) {
      allowSigning(fn, this.signingKey.key);
      allowStore(fn, this.jobTable.table);
      allowConfigSecret(fn, this.configSecret);
    }
    // The worker's consume permissions come with its SQS event source; only the HTTP side enqueues.
    allowEnqueue(this.functions.http, this.attachQueue.queue);

    this.alerts = new Topic(this, "Alerts", { displayName: "Countersign alerts" });
    this.attachQueue.deadLetterAlarm.addAlarmAction(new SnsAction(this.alerts));
    this.attachQueue.deadLetterAlarm.addOkAction(new SnsAction(this.alerts));

    this.#outputs(configSecretName);
  }

  #outputs(configSecretName: string): void {
    const outputs: Record<string, { value: string; description: string }> = {
      FunctionUrl: { value: this.functions.url.url, description: "Base URL: webhooks at /webhooks/<source>" },
      QueueUrl: { value: this.attachQueue.queue.queueUrl, description: "Attach job queue" },
      DeadLetterQueueUrl: {
        value: this.attachQueue.deadLetterQueue.queueUrl,
        description: "Failed attach jobs",
      },
      KeyArn: { value: this.signingKey.key.keyArn, description: "KMS signing key (ECC_NIST_P256)" },
      KeyAlias: { value: this.signingKey.alias.aliasName, description: "KMS signing key alias" },
      TableName: { value: this.jobTable.table.tableName, description: "DynamoDB store table" },
      ConfigSecretName: { value: configSecretName, description: "Put the configuration JSON here" },
      AlertTopicArn: { value: this.alerts.topicArn, description: "Subscribe to dead-letter alarms" },
    };
    for (const [id, output] of Object.entries(outputs)) new CfnOutput(this, id, output);
  }
}
