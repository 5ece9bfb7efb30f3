// Control-plane operations of the emulator: CreateTable, DescribeTable, UpdateTimeToLive,
// DescribeTimeToLive. Tables are ACTIVE at once (the service takes seconds); no indexes, no streams.
import { z } from "zod";
import { resourceInUse, resourceNotFound, validation } from "./errors.ts";
import { type KeyAttributeType, Table } from "./table.ts";

export class Tables {
  readonly region: string;
  readonly accountId: string;
  readonly #tables = new Map<string, Table>();

  constructor(region: string, accountId: string) {
    this.region = region;
    this.accountId = accountId;
  }

  get(name: string): Table {
    const table = this.#tables.get(name);
    if (!table) throw resourceNotFound();
    return table;
  }

  find(name: string): Table | undefined {
    return this.#tables.get(name);
  }

  add(table: Table): void {
    this.#tables.set(table.name, table);
  }

  all(): Table[] {
    return [...this.#tables.values()];
  }
}

export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const detail = issues.map(
    (issue) => `Value at '${issue.path.join(".")}' failed to satisfy constraint: ${issue.message}`,
  );
  throw validation(
    `${issues.length} validation error${issues.length === 1 ? "" : "s"} detected: ${detail.join("; ")}`,
  );
}

const tableName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");

const createTableInput = z.object({
  TableName: tableName,
  KeySchema: z
    .array(z.object({ AttributeName: z.string().min(1), KeyType: z.enum(["HASH", "RANGE"]) }))
    .min(1)
    .max(2),
  AttributeDefinitions: z.array(
    z.object({ AttributeName: z.string().min(1), AttributeType: z.enum(["S", "N", "B"]) }),
  ),
  BillingMode: z.enum(["PAY_PER_REQUEST", "PROVISIONED"]).optional(),
  ProvisionedThroughput: z
    .object({ ReadCapacityUnits: z.number(), WriteCapacityUnits: z.number() })
    .optional(),
  GlobalSecondaryIndexes: z.never({ error: "indexes are not supported by this emulator" }).optional(),
  LocalSecondaryIndexes: z.never({ error: "indexes are not supported by this emulator" }).optional(),
});

function createTable(tables: Tables, raw: unknown): object {
  const input = parseInput(createTableInput, raw);
  const hash = input.KeySchema.find((k) => k.KeyType === "HASH");
  const range = input.KeySchema.find((k) => k.KeyType === "RANGE");
  if (!hash || input.KeySchema[0] !== hash) {
    throw validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  const types = Object.fromEntries(input.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
  if (
    input.AttributeDefinitions.length !== input.KeySchema.length ||
    !input.KeySchema.every((k) => types[k.AttributeName])
  ) {
    throw validation(
      "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
    );
  }
  if ((input.BillingMode ?? "PROVISIONED") === "PROVISIONED" && !input.ProvisionedThroughput) {
    throw validation(
      "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
    );
  }
  if (tables.find(input.TableName)) throw resourceInUse(`Table already exists: ${input.TableName}`);
  const arn = `arn:aws:dynamodb:${tables.region}:${tables.accountId}:table/${input.TableName}`;
  const table = new Table(
    input.TableName,
    arn,
    { hash: hash.AttributeName, ...(range ? { range: range.AttributeName } : {}) },
    types as Record<string, KeyAttributeType>,
  );
  table.billingMode = input.BillingMode ?? "PROVISIONED";
  tables.add(table);
  return { TableDescription: describe(table) };
}

const tableNameInput = z.object({ TableName: tableName });

function describeTable(tables: Tables, raw: unknown): object {
  const input = parseInput(tableNameInput, raw);
  const table = tables.find(input.TableName);
  if (!table) throw resourceNotFound(`Requested resource not found: Table: ${input.TableName} not found`);
  return { Table: describe(table) };
}

const updateTimeToLiveInput = z.object({
  TableName: tableName,
  TimeToLiveSpecification: z.object({ Enabled: z.boolean(), AttributeName: z.string().min(1) }),
});

function updateTimeToLive(tables: Tables, raw: unknown): object {
  const input = parseInput(updateTimeToLiveInput, raw);
  const table = tables.get(input.TableName);
  const { Enabled, AttributeName } = input.TimeToLiveSpecification;
  if (Enabled && table.ttlAttribute !== undefined) throw validation("TimeToLive is already enabled");
  if (!Enabled && table.ttlAttribute === undefined) throw validation("TimeToLive is already disabled");
  table.ttlAttribute = Enabled ? AttributeName : undefined;
  return { TimeToLiveSpecification: input.TimeToLiveSpecification };
}

function describeTimeToLive(tables: Tables, raw: unknown): object {
  const table = tables.get(parseInput(tableNameInput, raw).TableName);
  return {
    TimeToLiveDescription:
      table.ttlAttribute === undefined
        ? { TimeToLiveStatus: "DISABLED" }
        : { TimeToLiveStatus: "ENABLED", AttributeName: table.ttlAttribute },
  };
}

function describe(table: Table): object {
  const { hash, range } = table.keySchema;
  return {
    TableName: table.name,
    TableArn: table.arn,
    TableId: table.arn.split(":").at(-1),
    TableStatus: "ACTIVE",
    CreationDateTime: table.createdAt,
    KeySchema: [
      { AttributeName: hash, KeyType: "HASH" },
      ...(range === undefined ? [] : [{ AttributeName: range, KeyType: "RANGE" }]),
    ],
    AttributeDefinitions: Object.entries(table.attributeTypes).map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    ItemCount: table.itemCount,
    TableSizeBytes: 0,
    BillingModeSummary: { BillingMode: table.billingMode },
  };
}

export const tableOperations: Readonly<Record<string, (tables: Tables, input: unknown) => object>> = {
  CreateTable: createTable,
  DescribeTable: describeTable,
  UpdateTimeToLive: updateTimeToLive,
  DescribeTimeToLive: describeTimeToLive,
};
