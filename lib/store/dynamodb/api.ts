// The slice of DynamoDB the store calls, in the service's own JSON shapes (DynamoDB API Reference:
// "AttributeValue", PutItem, GetItem, DeleteItem, Query, TransactWriteItems). lib imports no SDK:
// functions/aws/dynamodb-store.ts adapts @aws-sdk/client-dynamodb to this, and the shapes are the
// SDK's own, so the adapter is one `send` per method.

/** What the store writes: scalars, maps and lists (no sets, no binary). */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly M: Readonly<Record<string, AttributeValue>> }
  // A mutable array because the SDK's input type is one.
  | { readonly L: AttributeValue[] };

export type Item = Readonly<Record<string, AttributeValue>>;

/**
 * What the service answers, read defensively: any member may be absent, and types the store never
 * writes (SS, B, …) may appear, so decoding checks every field it uses.
 */
export interface AttributeValueOutput {
  readonly S?: string;
  readonly N?: string;
  readonly BOOL?: boolean;
  readonly NULL?: boolean;
  readonly M?: Readonly<Record<string, AttributeValueOutput>>;
  readonly L?: readonly AttributeValueOutput[];
}

export type ItemOutput = Readonly<Record<string, AttributeValueOutput>>;

interface Expressions {
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
  readonly ExpressionAttributeValues?: Item;
}

interface ConditionalWrite extends Expressions {
  readonly TableName: string;
  readonly ConditionExpression?: string;
  /** `ALL_OLD`: a ConditionalCheckFailedException carries the item that failed the check (2023). */
  readonly ReturnValuesOnConditionCheckFailure?: "ALL_OLD" | "NONE";
}

export interface PutItemInput extends ConditionalWrite {
  readonly Item: Item;
}

export interface DeleteItemInput extends ConditionalWrite {
  readonly Key: Item;
}

export interface GetItemInput {
  readonly TableName: string;
  readonly Key: Item;
  readonly ConsistentRead?: boolean;
}

export interface QueryInput extends Expressions {
  readonly TableName: string;
  readonly KeyConditionExpression: string;
  readonly ScanIndexForward?: boolean;
  readonly Limit?: number;
  readonly ExclusiveStartKey?: Item;
  readonly ConsistentRead?: boolean;
}

export type TransactWriteItem =
  | { readonly Put: PutItemInput }
  | { readonly Delete: DeleteItemInput }
  | { readonly ConditionCheck: DeleteItemInput & { readonly ConditionExpression: string } };

export interface TransactWriteItemsInput {
  // A mutable array because the SDK's input type is one.
  readonly TransactItems: TransactWriteItem[];
}

export interface GetItemOutput {
  readonly Item?: ItemOutput;
}

export interface QueryOutput {
  readonly Items?: readonly ItemOutput[];
  /** Present when the page ended before the key range did (Limit reached, or 1 MB read). */
  readonly LastEvaluatedKey?: ItemOutput;
}

/**
 * The operations, each rejecting with the service's error as the AWS SDK surfaces it: `name` is the
 * exception name (`ConditionalCheckFailedException` with `Item` when asked for; a
 * `TransactionCanceledException` with `CancellationReasons`, one per item in request order).
 */
export interface DynamoDbApi {
  getItem(input: GetItemInput): Promise<GetItemOutput>;
  putItem(input: PutItemInput): Promise<unknown>;
  deleteItem(input: DeleteItemInput): Promise<unknown>;
  query(input: QueryInput): Promise<QueryOutput>;
  transactWriteItems(input: TransactWriteItemsInput): Promise<unknown>;
}

/** The failed check of a conditional write, with the item that failed it when the service sent one. */
export interface ConditionFailure {
  readonly item?: ItemOutput;
}

/** A ConditionalCheckFailedException, or undefined for any other error. */
export function conditionFailure(error: unknown): ConditionFailure | undefined {
  if (!isNamed(error, "ConditionalCheckFailedException")) return undefined;
  const item = (error as { Item?: ItemOutput }).Item;
  return item === undefined ? {} : { item };
}

export interface CancellationReason {
  /** `None`, `ConditionalCheckFailed`, `TransactionConflict`, `ValidationError`, … */
  readonly Code?: string;
  readonly Item?: ItemOutput;
}

/** The per-item reasons of a TransactionCanceledException, or undefined for any other error. */
export function cancellationReasons(error: unknown): readonly CancellationReason[] | undefined {
  if (!isNamed(error, "TransactionCanceledException")) return undefined;
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(reasons) ? (reasons as CancellationReason[]) : [];
}

function isNamed(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}
