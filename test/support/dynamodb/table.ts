// One emulated table: its key schema, and items in memory grouped by partition key, each partition
// read in sort-key order (bytes for S and B, value for N), as DynamoDB stores an item collection.
// Key checks and their messages follow the service (a key attribute missing, of the wrong type, an
// empty string, or over 2048/1024 bytes).
import { type AttributeValue, compare, type Item } from "./attributes.ts";
import { validation } from "./errors.ts";

export type KeyAttributeType = "S" | "N" | "B";

export interface KeySchema {
  readonly hash: string;
  readonly range?: string;
}

export class Table {
  readonly name: string;
  readonly arn: string;
  readonly keySchema: KeySchema;
  readonly attributeTypes: Readonly<Record<string, KeyAttributeType>>;
  /** Epoch seconds. */
  readonly createdAt: number;
  ttlAttribute: string | undefined;
  billingMode: "PAY_PER_REQUEST" | "PROVISIONED" = "PAY_PER_REQUEST";
  readonly #partitions = new Map<string, Map<string, Item>>();

  constructor(
    name: string,
    arn: string,
    keySchema: KeySchema,
    attributeTypes: Readonly<Record<string, KeyAttributeType>>,
  ) {
    this.name = name;
    this.arn = arn;
    this.keySchema = keySchema;
    this.attributeTypes = attributeTypes;
    this.createdAt = Date.now() / 1000;
  }

  get itemCount(): number {
    let count = 0;
    for (const partition of this.#partitions.values()) count += partition.size;
    return count;
  }

  /** The item's key attributes, checked as PutItem checks them. */
  keyOfItem(item: Item): Item {
    const key: Item = {};
    for (const name of this.#keyNames()) {
      const value = item[name];
      if (value === undefined) {
        throw validation(`One or more parameter values were invalid: Missing the key ${name} in the item`);
      }
      key[name] = this.#checkKeyValue(name, value);
    }
    return key;
  }

  /** A Key parameter: exactly the key attributes, as GetItem/DeleteItem require. */
  checkKey(key: Item): Item {
    const names = Object.keys(key);
    const expected = this.#keyNames();
    if (names.length !== expected.length || !expected.every((n) => key[n] !== undefined)) {
      throw validation("The provided key element does not match the schema");
    }
    return this.keyOfItem(key);
  }

  /** One string per item key (to spot two operations on one item). */
  keyId(key: Item): string {
    return `${hashOf(key, this.keySchema)}\u0000${rangeOf(key, this.keySchema)}`;
  }

  get(key: Item): Item | undefined {
    const item = this.#partitions.get(hashOf(key, this.keySchema))?.get(rangeOf(key, this.keySchema));
    return item === undefined ? undefined : structuredClone(item);
  }

  put(item: Item): void {
    const key = this.keyOfItem(item);
    const hash = hashOf(key, this.keySchema);
    let partition = this.#partitions.get(hash);
    if (!partition) {
      partition = new Map();
      this.#partitions.set(hash, partition);
    }
    partition.set(rangeOf(key, this.keySchema), structuredClone(item));
  }

  delete(key: Item): void {
    const hash = hashOf(key, this.keySchema);
    const partition = this.#partitions.get(hash);
    partition?.delete(rangeOf(key, this.keySchema));
    if (partition?.size === 0) this.#partitions.delete(hash);
  }

  /** The items of one partition in ascending sort-key order. */
  partition(hashValue: AttributeValue): Item[] {
    const partition = this.#partitions.get(canonical(hashValue));
    if (!partition) return [];
    const items = [...partition.values()].map((item) => structuredClone(item));
    const range = this.keySchema.range;
    if (range !== undefined) items.sort((a, b) => compare(a[range]!, b[range]!) ?? 0);
    return items;
  }

  /** Every item, partition by partition. */
  all(): Item[] {
    return [...this.#partitions.values()].flatMap((partition) =>
      [...partition.values()].map((item) => structuredClone(item)),
    );
  }

  #keyNames(): string[] {
    return this.keySchema.range === undefined
      ? [this.keySchema.hash]
      : [this.keySchema.hash, this.keySchema.range];
  }

  #checkKeyValue(name: string, value: AttributeValue): AttributeValue {
    const expected = this.attributeTypes[name]!;
    const actual = Object.keys(value)[0];
    if (actual !== expected) {
      throw validation(
        `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${expected} actual: ${actual}`,
      );
    }
    const bytes =
      "S" in value ? Buffer.byteLength(value.S) : "B" in value ? Buffer.from(value.B, "base64").length : 1;
    if (bytes === 0) {
      throw validation(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${"S" in value ? "string" : "binary"} value. Key: ${name}`,
      );
    }
    if (name === this.keySchema.hash && bytes > 2048) {
      throw validation(
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes",
      );
    }
    if (name === this.keySchema.range && bytes > 1024) {
      throw validation(
        "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
      );
    }
    return value;
  }
}

function hashOf(key: Item, schema: KeySchema): string {
  return canonical(key[schema.hash]!);
}

function rangeOf(key: Item, schema: KeySchema): string {
  return schema.range === undefined ? "" : canonical(key[schema.range]!);
}

/** One spelling per key value: numbers by value (`1.0` and `1` are one key), binaries re-encoded. */
function canonical(value: AttributeValue): string {
  if ("S" in value) return `S:${value.S}`;
  if ("N" in value) return `N:${Number(value.N)}`;
  if ("B" in value) return `B:${Buffer.from(value.B, "base64").toString("base64")}`;
  return JSON.stringify(value);
}
