// Everything the Lambda functions talk to in AWS, on loopback: the KMS emulator with one P-256 key,
// the DynamoDB emulator with the store's table, the SQS emulator with the jobs queue, and the Secrets
// Manager emulator with the configuration secret. `env` is the environment the CDK stack would give
// the functions (infra/lambda-environment.ts names) plus the SDK settings that point every client at
// these emulators, with dummy credentials and no route to real AWS. No vitest import: the cold-start
// bench passes `env` to a child process.
import { LAMBDA_ENVIRONMENT } from "../../../infra/lambda-environment.ts";
import { KEY_ATTRIBUTES, TTL_ATTRIBUTE } from "../../../lib/store/dynamodb/keys.ts";
import { createJobTable, emulatorDynamoDbClient } from "../dynamodb/client.ts";
import { type DynamoDbEmulator, type Item, startDynamoDbEmulator } from "../dynamodb/emulator.ts";
import { type KmsEmulator, startKmsEmulator } from "../kms/emulator.ts";
import { type SecretsEmulator, startSecretsEmulator } from "../secrets/emulator.ts";
import { type SqsEmulator, startSqsEmulator } from "../sqs/emulator.ts";

export const LAMBDA_TEST_TABLE = "countersign-test-jobs";
export const LAMBDA_TEST_SECRET = "Countersign/config";

export const lambdaTestCredentials = {
  accessKeyId: "AKIDCOUNTERSIGNLAMBDA",
  secretAccessKey: "lambda-secret-access-key-that-must-never-leak",
  sessionToken: "lambda-session-token-that-must-never-leak",
} as const;

export interface LambdaAws {
  readonly kms: KmsEmulator;
  readonly dynamodb: DynamoDbEmulator;
  readonly sqs: SqsEmulator;
  readonly secrets: SecretsEmulator;
  readonly keyArn: string;
  readonly queueUrl: string;
  /** The functions' environment (stack variables and SDK settings). */
  readonly env: Readonly<Record<string, string>>;
  /** SDK variables whose presence outside would reach real AWS or a developer's profile: unset them. */
  readonly unset: readonly string[];
  stop(): Promise<void>;
}

export interface LambdaAwsOptions {
  /** The configuration document put in the secret (JSON text). */
  readonly config: string;
  /** The queue's visibility timeout; the stack sets 12 min (6 × the worker timeout). */
  readonly visibilityTimeoutSeconds?: number;
}

export async function startLambdaAws(options: LambdaAwsOptions): Promise<LambdaAws> {
  const kms = await startKmsEmulator();
  const dynamodb = await startDynamoDbEmulator();
  const sqs = await startSqsEmulator();
  const secrets = await startSecretsEmulator();
  try {
    const { arn } = await kms.createKey("ECC_NIST_P256");
    const client = emulatorDynamoDbClient(dynamodb);
    await createJobTable(client, LAMBDA_TEST_TABLE, {
      partitionKey: KEY_ATTRIBUTES.partition,
      sortKey: KEY_ATTRIBUTES.sort,
      expiresAt: TTL_ATTRIBUTE,
    });
    client.destroy();
    const queueUrl = sqs.createQueue("countersign-jobs", {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 720,
    });
    secrets.putSecret(LAMBDA_TEST_SECRET, options.config);
    const env: Record<string, string> = {
      [LAMBDA_ENVIRONMENT.tableName]: LAMBDA_TEST_TABLE,
      [LAMBDA_ENVIRONMENT.queueUrl]: queueUrl,
      [LAMBDA_ENVIRONMENT.kmsKeyUri]: `awskms:///${arn}`,
      [LAMBDA_ENVIRONMENT.configSecretName]: LAMBDA_TEST_SECRET,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: lambdaTestCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: lambdaTestCredentials.secretAccessKey,
      AWS_SESSION_TOKEN: lambdaTestCredentials.sessionToken,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/nonexistent/countersign-test/config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/countersign-test/credentials",
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    };
    return {
      kms,
      dynamodb,
      sqs,
      secrets,
      keyArn: arn,
      queueUrl,
      env,
      unset: ["AWS_PROFILE", "AWS_ENDPOINT_URL", "COUNTERSIGN_CONFIG", "COUNTERSIGN_CONFIG_REFRESH_SECONDS"],
      async stop() {
        await Promise.all([kms.stop(), dynamodb.stop(), sqs.stop(), secrets.stop()]);
      },
    };
  } catch (error) {
    await Promise.all([kms.stop(), dynamodb.stop(), sqs.stop(), secrets.stop()]);
    throw error;
  }
}

/** A string attribute of an item as the DynamoDB emulator stores it, or undefined. */
export function stringAttribute(item: Item, name: string): string | undefined {
  const value = item[name];
  return value !== undefined && "S" in value ? value.S : undefined;
}
