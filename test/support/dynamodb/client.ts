// The real AWS SDK v3 DynamoDB client on the emulator: dummy credentials, explicit region and
// endpoint (nothing read from the environment, no route to real AWS), and the store's table created
// as infra/job-table.ts declares it (pk/sk strings, pay per request, TTL on `expiresAt`).
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDbEmulator } from "./emulator.ts";

export const dynamoDbTestCredentials = {
  accessKeyId: "AKIDCOUNTERSIGNDDB",
  secretAccessKey: "dynamodb-secret-that-must-never-leak",
} as const;

export function emulatorDynamoDbClient(
  emulator: DynamoDbEmulator,
  config: Omit<DynamoDBClientConfig, "endpoint" | "region" | "credentials"> = {},
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: dynamoDbTestCredentials,
    ...config,
  });
}

export interface JobTableShape {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly expiresAt: string;
}

/** Creates the table as the CDK stack does (pass `JOB_TABLE_ATTRIBUTES` from infra/job-table.ts). */
export async function createJobTable(
  client: DynamoDBClient,
  tableName: string,
  shape: JobTableShape,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: shape.partitionKey, KeyType: "HASH" },
        { AttributeName: shape.sortKey, KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: shape.partitionKey, AttributeType: "S" },
        { AttributeName: shape.sortKey, AttributeType: "S" },
      ],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: shape.expiresAt },
    }),
  );
}
