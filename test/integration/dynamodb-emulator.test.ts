// The DynamoDB emulator held to the service's documented behaviour, through the real AWS SDK v3
// client: error shapes the SDK turns into typed exceptions, condition semantics (missing attributes,
// precedence), placeholder validation, UTF-8 byte order of sort keys, transactions, key checks, TTL.
// The store's tests trust the emulator; these say what that trust rests on.
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  ResourceNotFoundException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobTable, emulatorDynamoDbClient } from "../support/dynamodb/client.ts";
import { type DynamoDbEmulator, startDynamoDbEmulator, textOf } from "../support/dynamodb/emulator.ts";

const TABLE = "emulated";
const SHAPE = { partitionKey: "pk", sortKey: "sk", expiresAt: "expiresAt" };

describe("DynamoDB emulator", () => {
  let emulator: DynamoDbEmulator;
  let client: DynamoDBClient;

  beforeAll(async () => {
    emulator = await startDynamoDbEmulator({ region: "eu-west-1" });
    client = emulatorDynamoDbClient(emulator, { maxAttempts: 1 });
    await createJobTable(client, TABLE, SHAPE);
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });

  const put = (input: Omit<PutItemCommandInput, "TableName">) =>
    client.send(new PutItemCommand({ TableName: TABLE, ...input }));
  const errorOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  it("describes the table it created, and knows no other", async () => {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(table).toMatchObject({
      TableStatus: "ACTIVE",
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" },
      TableArn: `arn:aws:dynamodb:eu-west-1:111122223333:table/${TABLE}`,
    });
    const { TimeToLiveDescription: ttl } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: TABLE }),
    );
    expect(ttl).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    const missing = await errorOf(client.send(new DescribeTableCommand({ TableName: "nope-table" })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    // The SigV4 credential scope names the client's region and key.
    expect(emulator.calls.at(-1)).toMatchObject({ region: "eu-west-1", accessKeyId: "AKIDCOUNTERSIGNDDB" });
  });

  it("fails a condition with ConditionalCheckFailedException, carrying the item only when asked", async () => {
    const item = { pk: { S: "ccf" }, sk: { S: "1" }, owner: { S: "a" } };
    await put({ Item: item, ConditionExpression: "attribute_not_exists(pk)" });
    const plain = await errorOf(put({ Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    expect(plain).toBeInstanceOf(ConditionalCheckFailedException);
    expect((plain as ConditionalCheckFailedException).Item).toBeUndefined();
    expect((plain as ConditionalCheckFailedException).$metadata.httpStatusCode).toBe(400);
    const withItem = await errorOf(
      put({
        Item: item,
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    expect((withItem as ConditionalCheckFailedException).Item).toEqual(item);
  });

  it("evaluates conditions as the service does: missing attributes, types, precedence, functions", async () => {
    const item = {
      pk: { S: "cond" },
      sk: { S: "1" },
      n: { N: "10" },
      s: { S: "prefix-value" },
      m: { M: { inner: { S: "x" } } },
    };
    await put({ Item: item });
    const holds = async (condition: string, values?: Record<string, { S: string } | { N: string }>) => {
      const error = await errorOf(
        put({
          Item: item,
          ConditionExpression: condition,
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      if (error && !(error instanceof ConditionalCheckFailedException)) throw error;
      return error === undefined;
    };
    const ten = { ":ten": { N: "10" } };
    expect(await holds("missing <> :ten", ten)).toBe(true); // a missing attribute equals nothing
    expect(await holds("missing = :ten", ten)).toBe(false);
    expect(await holds("missing < :ten", ten)).toBe(false);
    expect(await holds("s <> :ten", ten)).toBe(true); // S vs N: not equal, not ordered
    expect(await holds("s > :ten", ten)).toBe(false);
    expect(await holds("n = :v", { ":v": { N: "10.0" } })).toBe(true); // numbers compare by value
    expect(await holds("n < :v", { ":v": { N: "9" } })).toBe(false);
    expect(await holds("n BETWEEN :a AND :b", { ":a": { N: "9" }, ":b": { N: "10" } })).toBe(true);
    expect(await holds("n IN (:a, :b)", { ":a": { N: "1" }, ":b": { N: "10" } })).toBe(true);
    expect(await holds("begins_with(s, :p)", { ":p": { S: "prefix-" } })).toBe(true);
    expect(await holds("m.inner = :x", { ":x": { S: "x" } })).toBe(true);
    expect(await holds("attribute_exists(m.inner) AND attribute_not_exists(m.other)")).toBe(true);
    // AND binds tighter than OR; NOT tighter than AND.
    expect(await holds("n = :ten OR missing = :ten AND missing = :ten", ten)).toBe(true);
    expect(await holds("(n = :ten OR missing = :ten) AND missing = :ten", ten)).toBe(false);
    expect(await holds("NOT missing = :ten AND n = :ten", ten)).toBe(true);
    expect(await holds("NOT (missing <> :ten AND n = :ten)", ten)).toBe(false);
  });

  it("rejects undefined and unused placeholders and syntax errors with ValidationException", async () => {
    const item = { pk: { S: "v" }, sk: { S: "1" } };
    const message = async (input: Omit<PutItemCommandInput, "TableName" | "Item">) => {
      const error = await errorOf(put({ Item: item, ...input }));
      expect((error as Error).name).toBe("ValidationException");
      return (error as Error).message;
    };
    expect(
      await message({ ConditionExpression: "#a = :v", ExpressionAttributeValues: { ":v": { S: "x" } } }),
    ).toBe("An expression attribute name used in the document path is not defined; attribute name: #a");
    expect(
      await message({
        ConditionExpression: "attribute_not_exists(pk)",
        ExpressionAttributeValues: { ":unused": { S: "x" } },
      }),
    ).toBe("Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}");
    expect(
      await message({
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": "pk", "#sk": "sk" },
      }),
    ).toBe("Value provided in ExpressionAttributeNames unused in expressions: keys: {#sk}");
    expect(
      await message({ ConditionExpression: "pk = = :v", ExpressionAttributeValues: { ":v": { S: "x" } } }),
    ).toMatch(/^Invalid ConditionExpression: Syntax error/);
    expect(await message({ ExpressionAttributeValues: { ":v": { S: "x" } } })).toBe(
      "ExpressionAttributeValues can only be specified when using expressions",
    );
  });

  it("checks keys as the service does", async () => {
    const name = async (promise: Promise<unknown>) => ((await errorOf(promise)) as Error).name;
    const message = async (promise: Promise<unknown>) => ((await errorOf(promise)) as Error).message;
    expect(await message(put({ Item: { pk: { S: "k" } } }))).toBe(
      "One or more parameter values were invalid: Missing the key sk in the item",
    );
    expect(await message(put({ Item: { pk: { N: "1" }, sk: { S: "1" } } }))).toBe(
      "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
    );
    expect(await message(put({ Item: { pk: { S: "" }, sk: { S: "1" } } }))).toMatch(
      /cannot contain an empty string/,
    );
    expect(await message(put({ Item: { pk: { S: "x".repeat(2049) }, sk: { S: "1" } } }))).toMatch(
      /2048 bytes/,
    );
    expect(
      await message(
        client.send(
          new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "k" }, sk: { S: "1" }, x: { S: "" } } }),
        ),
      ),
    ).toBe("The provided key element does not match the schema");
    expect(
      await name(client.send(new GetItemCommand({ TableName: "nope-table", Key: { pk: { S: "k" } } }))),
    ).toBe("ResourceNotFoundException");
  });

  it("orders a partition by the sort key's UTF-8 bytes and pages with Limit", async () => {
    // UTF-16 code units would put U+1F600 (D83D DE00) before U+FFFD; UTF-8 bytes (F0… vs EF…) do not.
    const keys = ["a", "b", "é", "\uFFFD", "😀"];
    for (const sk of [...keys].reverse()) await put({ Item: { pk: { S: "order" }, sk: { S: sk } } });
    const page = async (forward: boolean, start?: Record<string, { S: string }>) =>
      client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: "order" } },
          ScanIndexForward: forward,
          Limit: 3,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
    const first = await page(true);
    expect(first.Items?.map((i) => i.sk?.S)).toEqual(["a", "b", "é"]);
    expect(first.LastEvaluatedKey).toEqual({ pk: { S: "order" }, sk: { S: "é" } });
    const second = await page(true, first.LastEvaluatedKey as Record<string, { S: string }>);
    expect(second.Items?.map((i) => i.sk?.S)).toEqual(["\uFFFD", "😀"]);
    expect(second.LastEvaluatedKey).toBeUndefined();
    const backward = await page(false);
    expect(backward.Items?.map((i) => i.sk?.S)).toEqual(["😀", "\uFFFD", "é"]);

    const ranged = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues: { ":pk": { S: "order" }, ":lo": { S: "b" }, ":hi": { S: "é" } },
      }),
    );
    expect(ranged.Items?.map((i) => i.sk?.S)).toEqual(["b", "é"]);
    const wrong = await errorOf(
      client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: "sk = :sk",
          ExpressionAttributeValues: { ":sk": { S: "a" } },
        }),
      ),
    );
    expect((wrong as Error).message).toBe("Query condition missed key schema element: pk");
  });

  it("cancels a transaction as a whole, one reason per item, and refuses two operations on one item", async () => {
    await put({ Item: { pk: { S: "tx" }, sk: { S: "taken" } } });
    const error = await errorOf(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { pk: { S: "tx" }, sk: { S: "free" } } } },
            {
              Put: {
                TableName: TABLE,
                Item: { pk: { S: "tx" }, sk: { S: "taken" } },
                ConditionExpression: "attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              },
            },
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons).toEqual([
      { Code: "None" },
      {
        Code: "ConditionalCheckFailed",
        Message: "The conditional request failed",
        Item: { pk: { S: "tx" }, sk: { S: "taken" } },
      },
    ]);
    const free = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "tx" }, sk: { S: "free" } } }),
    );
    expect(free.Item).toBeUndefined(); // nothing of a cancelled transaction is written

    const twice = await errorOf(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { pk: { S: "tx" }, sk: { S: "same" } } } },
            { Delete: { TableName: TABLE, Key: { pk: { S: "tx" }, sk: { S: "same" } } } },
          ],
        }),
      ),
    );
    expect((twice as Error).message).toBe(
      "Transaction request cannot include multiple operations on one item",
    );
  });

  it("deletes items whose TTL passed only when asked to sweep, as DynamoDB's lazy TTL would", async () => {
    const now = Math.floor(Date.now() / 1000);
    await put({ Item: { pk: { S: "ttl" }, sk: { S: "past" }, expiresAt: { N: String(now - 10) } } });
    await put({ Item: { pk: { S: "ttl" }, sk: { S: "future" }, expiresAt: { N: String(now + 3600) } } });
    await put({ Item: { pk: { S: "ttl" }, sk: { S: "text" }, expiresAt: { S: "0" } } });
    const keys = () =>
      emulator
        .items(TABLE)
        .filter((i) => textOf(i.pk) === "ttl")
        .map((i) => textOf(i.sk));
    expect(keys().sort()).toEqual(["future", "past", "text"]); // an expired item stays readable
    expect(emulator.expireItems(now)).toBe(1);
    expect(keys().sort()).toEqual(["future", "text"]);
  });

  it("requires a SigV4 Authorization header and names unknown operations", async () => {
    const call = (target: string, authorization?: string) =>
      fetch(emulator.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.0",
          "X-Amz-Target": target,
          ...(authorization ? { Authorization: authorization } : {}),
        },
        body: JSON.stringify({ TableName: TABLE }),
      });
    const anonymous = await call("DynamoDB_20120810.DescribeTable");
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({
      __type: "com.amazon.coral.service#MissingAuthenticationTokenException",
    });
    const signed =
      "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";
    const update = await call("DynamoDB_20120810.UpdateItem", signed);
    expect(update.status).toBe(400);
    expect(await update.json()).toMatchObject({
      __type: "com.amazon.coral.service#UnknownOperationException",
    });
    const deleted = await client.send(
      new DeleteItemCommand({
        TableName: TABLE,
        Key: { pk: { S: "none" }, sk: { S: "none" } },
        ReturnValues: "ALL_OLD",
      }),
    );
    expect(deleted.Attributes).toBeUndefined();
  });
});
