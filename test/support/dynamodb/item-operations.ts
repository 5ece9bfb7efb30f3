// Data-plane operations of the emulator: PutItem, GetItem, DeleteItem, Query, TransactWriteItems.
// Each runs synchronously on the in-memory tables once its request body is read, so a request is
// atomic with respect to every other (Node runs one at a time), as DynamoDB's single-item conditional
// writes and transactions are. Parameters the store does not use (legacy Expected/KeyConditions,
// projections, indexes, UpdateItem) are refused with a message naming the emulator, never ignored.
import { z } from "zod";
import { attributeValueSchema, checkItem, compare, type Item, itemSchema } from "./attributes.ts";
import {
  type CancellationReason,
  conditionalCheckFailed,
  transactionCanceled,
  validation,
} from "./errors.ts";
import { evaluate } from "./evaluate.ts";
import { type Condition, ExpressionAttributes, parseCondition } from "./expressions.ts";
import { splitKeyCondition } from "./key-condition.ts";
import type { Table } from "./table.ts";
import { parseInput, type Tables } from "./table-operations.ts";

const unsupported = z.never({ error: "not supported by this emulator" }).optional();

const expressionParts = {
  ExpressionAttributeNames: z.record(z.string(), z.string()).optional(),
  ExpressionAttributeValues: z.record(z.string(), attributeValueSchema).optional(),
};

const conditionalWrite = {
  TableName: z.string(),
  ConditionExpression: z.string().optional(),
  ...expressionParts,
  ReturnValuesOnConditionCheckFailure: z.enum(["ALL_OLD", "NONE"]).optional(),
  ReturnConsumedCapacity: z.string().optional(),
  ReturnItemCollectionMetrics: z.string().optional(),
  Expected: unsupported,
  ConditionalOperator: unsupported,
};

const putInput = z.object({
  ...conditionalWrite,
  Item: itemSchema,
  ReturnValues: z.enum(["NONE", "ALL_OLD"]).optional(),
});
const deleteInput = z.object({
  ...conditionalWrite,
  Key: itemSchema,
  ReturnValues: z.enum(["NONE", "ALL_OLD"]).optional(),
});
const conditionCheckInput = z.object({
  ...conditionalWrite,
  Key: itemSchema,
  ConditionExpression: z.string(),
});

const getInput = z.object({
  TableName: z.string(),
  Key: itemSchema,
  ConsistentRead: z.boolean().optional(),
  ReturnConsumedCapacity: z.string().optional(),
  ProjectionExpression: unsupported,
  AttributesToGet: unsupported,
  ExpressionAttributeNames: unsupported,
});

const queryInput = z.object({
  TableName: z.string(),
  KeyConditionExpression: z.string({ error: "KeyConditionExpression is required by this emulator" }),
  FilterExpression: z.string().optional(),
  ...expressionParts,
  ScanIndexForward: z.boolean().optional(),
  Limit: z.number().int().min(1).optional(),
  ExclusiveStartKey: itemSchema.optional(),
  ConsistentRead: z.boolean().optional(),
  ReturnConsumedCapacity: z.string().optional(),
  IndexName: unsupported,
  Select: z.literal("ALL_ATTRIBUTES").optional(),
  ProjectionExpression: unsupported,
  KeyConditions: unsupported,
  QueryFilter: unsupported,
  AttributesToGet: unsupported,
});

const transactInput = z.object({
  TransactItems: z
    .array(
      z.union([
        z.strictObject({ Put: putInput.omit({ ReturnValues: true }) }),
        z.strictObject({ Delete: deleteInput.omit({ ReturnValues: true }) }),
        z.strictObject({ ConditionCheck: conditionCheckInput }),
      ]),
    )
    .min(1)
    .max(100),
  ClientRequestToken: z.string().optional(),
  ReturnConsumedCapacity: z.string().optional(),
  ReturnItemCollectionMetrics: z.string().optional(),
});

type ConditionalWriteInput = z.infer<z.ZodObject<typeof conditionalWrite>>;

/** The request's condition, parsed, with every placeholder checked as used. */
function conditionOf(input: ConditionalWriteInput): Condition | undefined {
  const attributes = new ExpressionAttributes(
    input.ExpressionAttributeNames,
    input.ExpressionAttributeValues,
    input.ConditionExpression !== undefined,
  );
  const condition =
    input.ConditionExpression === undefined
      ? undefined
      : parseCondition(input.ConditionExpression, attributes, "ConditionExpression");
  attributes.checkAllUsed();
  return condition;
}

/** A checked write, ready to apply: the target item's key, its current state, and the change. */
interface PlannedWrite {
  readonly table: Table;
  readonly key: Item;
  readonly old: Item | undefined;
  readonly passes: boolean;
  readonly returnOnFailure: boolean;
  apply(): void;
}

function planPut(
  tables: Tables,
  input: z.infer<typeof putInput> | Omit<z.infer<typeof putInput>, "ReturnValues">,
): PlannedWrite {
  const table = tables.get(input.TableName);
  checkItem(input.Item);
  const key = table.keyOfItem(input.Item);
  return plan(table, key, input, () => table.put(input.Item));
}

function planDelete(
  tables: Tables,
  input: z.infer<typeof deleteInput> | z.infer<typeof conditionCheckInput>,
  remove: boolean,
): PlannedWrite {
  const table = tables.get(input.TableName);
  const key = table.checkKey(input.Key);
  return plan(table, key, input, () => (remove ? table.delete(key) : undefined));
}

function plan(table: Table, key: Item, input: ConditionalWriteInput, apply: () => void): PlannedWrite {
  const condition = conditionOf(input);
  const old = table.get(key);
  return {
    table,
    key,
    old,
    passes: condition === undefined || evaluate(condition, old),
    returnOnFailure: input.ReturnValuesOnConditionCheckFailure === "ALL_OLD",
    apply,
  };
}

function runSingle(write: PlannedWrite, returnOld: boolean): object {
  if (!write.passes) throw conditionalCheckFailed(write.returnOnFailure ? write.old : undefined);
  write.apply();
  return returnOld && write.old ? { Attributes: write.old } : {};
}

function putItem(tables: Tables, raw: unknown): object {
  const input = parseInput(putInput, raw);
  return runSingle(planPut(tables, input), input.ReturnValues === "ALL_OLD");
}

function deleteItem(tables: Tables, raw: unknown): object {
  const input = parseInput(deleteInput, raw);
  return runSingle(planDelete(tables, input, true), input.ReturnValues === "ALL_OLD");
}

function getItem(tables: Tables, raw: unknown): object {
  const input = parseInput(getInput, raw);
  const table = tables.get(input.TableName);
  const item = table.get(table.checkKey(input.Key));
  return item === undefined ? {} : { Item: item };
}

// API Reference, TransactWriteItems: all conditions are checked first; if any fails, nothing is
// written and every item gets a reason, `None` for the ones that did not fail.
function transactWriteItems(tables: Tables, raw: unknown): object {
  const input = parseInput(transactInput, raw);
  const writes = input.TransactItems.map((entry) => {
    if ("Put" in entry) return planPut(tables, entry.Put);
    if ("Delete" in entry) return planDelete(tables, entry.Delete, true);
    return planDelete(tables, entry.ConditionCheck, false);
  });
  const targets = new Set(writes.map((w) => `${w.table.name}\u0000${w.table.keyId(w.key)}`));
  if (targets.size !== writes.length) {
    throw validation("Transaction request cannot include multiple operations on one item");
  }
  if (writes.some((w) => !w.passes)) {
    const reasons = writes.map((w): CancellationReason => {
      if (w.passes) return { Code: "None" };
      return {
        Code: "ConditionalCheckFailed",
        Message: "The conditional request failed",
        ...(w.returnOnFailure && w.old ? { Item: w.old } : {}),
      };
    });
    throw transactionCanceled(reasons);
  }
  for (const write of writes) write.apply();
  return {};
}

export interface QueryOptions {
  /** Items per page before a LastEvaluatedKey, standing in for DynamoDB's 1 MB page. */
  readonly pageSize?: number;
}

function query(tables: Tables, raw: unknown, options: QueryOptions): object {
  const input = parseInput(queryInput, raw);
  const table = tables.get(input.TableName);
  const attributes = new ExpressionAttributes(
    input.ExpressionAttributeNames,
    input.ExpressionAttributeValues,
  );
  const keyCondition = parseCondition(input.KeyConditionExpression, attributes, "KeyConditionExpression");
  const filter =
    input.FilterExpression === undefined
      ? undefined
      : parseCondition(input.FilterExpression, attributes, "FilterExpression");
  attributes.checkAllUsed();
  const { hashValue, rangeCondition } = splitKeyCondition(keyCondition, table);

  let items = table
    .partition(hashValue)
    .filter((item) => rangeCondition === undefined || evaluate(rangeCondition, item));
  if (input.ScanIndexForward === false) items.reverse();
  if (input.ExclusiveStartKey !== undefined) {
    const start = table.keyId(table.checkKey(input.ExclusiveStartKey));
    const index = items.findIndex((item) => table.keyId(table.keyOfItem(item)) === start);
    // The start item may have been deleted since: resume after where it would sit.
    items =
      index >= 0
        ? items.slice(index + 1)
        : itemsAfter(items, input.ExclusiveStartKey, table, input.ScanIndexForward !== false);
  }
  const pageLimit = Math.min(
    input.Limit ?? Number.POSITIVE_INFINITY,
    options.pageSize ?? Number.POSITIVE_INFINITY,
  );
  const scanned = items.slice(0, pageLimit);
  // The service answers a LastEvaluatedKey whenever Limit stopped it, even on the last item.
  const cut = items.length > pageLimit || (input.Limit !== undefined && scanned.length === input.Limit);
  const found = filter === undefined ? scanned : scanned.filter((item) => evaluate(filter, item));
  const last = scanned.at(-1);
  return {
    Items: found,
    Count: found.length,
    ScannedCount: scanned.length,
    ...(cut && last ? { LastEvaluatedKey: table.keyOfItem(last) } : {}),
  };
}

function itemsAfter(items: Item[], start: Item, table: Table, forward: boolean): Item[] {
  const range = table.keySchema.range;
  if (range === undefined) return [];
  const startRange = start[range]!;
  return items.filter((item) => {
    const order = compare(item[range]!, startRange) ?? 0;
    return forward ? order > 0 : order < 0;
  });
}

export function itemOperations(
  options: QueryOptions,
): Readonly<Record<string, (tables: Tables, input: unknown) => object>> {
  return {
    PutItem: putItem,
    GetItem: getItem,
    DeleteItem: deleteItem,
    Query: (tables, input) => query(tables, input, options),
    TransactWriteItems: transactWriteItems,
  };
}
