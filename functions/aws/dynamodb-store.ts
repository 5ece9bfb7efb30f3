// The DynamoDB store on the AWS SDK v3 client: lib/store/dynamodb/store.ts speaks DynamoDbApi (the
// service's JSON shapes), and this adapter sends each call as the SDK command of the same name.
// Kept out of lib so lib carries no SDK; the SDK client itself runs on Node and workerd alike.
import {
  DeleteItemCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDbApi } from "../../lib/store/dynamodb/api.ts";
import { DynamoDbStore, type DynamoDbStoreOptions } from "../../lib/store/dynamodb/store.ts";

/** DynamoDbApi over an SDK client; the SDK's exceptions pass through unchanged (their `name` is the code). */
export function dynamoDbApi(client: DynamoDBClient): DynamoDbApi {
  return {
    getItem: (input) => client.send(new GetItemCommand(input)),
    putItem: (input) => client.send(new PutItemCommand(input)),
    deleteItem: (input) => client.send(new DeleteItemCommand(input)),
    query: (input) => client.send(new QueryCommand(input)),
    transactWriteItems: (input) => client.send(new TransactWriteItemsCommand(input)),
  };
}

export interface DynamoDbStoreConfig extends Omit<DynamoDbStoreOptions, "api"> {
  /**
   * SDK configuration; whatever is left out comes from the SDK's standard chain (AWS_REGION,
   * AWS_ENDPOINT_URL_DYNAMODB, the Lambda role's credentials, …).
   */
  readonly clientConfig?: DynamoDBClientConfig;
  /** A ready client instead of `clientConfig`. */
  readonly client?: DynamoDBClient;
}

/** The store on the table the stack created (its name is in COUNTERSIGN_TABLE_NAME on Lambda). */
export function openDynamoDbStore(config: DynamoDbStoreConfig): DynamoDbStore {
  const { client, clientConfig, ...options } = config;
  return new DynamoDbStore({
    ...options,
    api: dynamoDbApi(client ?? new DynamoDBClient(clientConfig ?? {})),
  });
}
