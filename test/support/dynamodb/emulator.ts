// A DynamoDB emulator for tests: the JSON 1.0 protocol over HTTP on a loopback port (`POST /`,
// `X-Amz-Target: DynamoDB_20120810.<Operation>`, `Content-Type: application/x-amz-json-1.0`), items in
// memory, real condition and key-condition evaluation, the service's validation of expression
// placeholders and keys, and its error shapes. Exactly the operations the DynamoDB store uses, plus the
// control plane a test needs to create the table. SigV4 signatures are not verified, but a SigV4
// Authorization header for the `dynamodb` service is required, as the service requires one.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseJsonObject, readBody, sendJson, sigV4Scope, startAwsJsonServer } from "../aws-json-server.ts";
import type { Item } from "./attributes.ts";
import {
  DynamoDbServiceError,
  type InjectableFault,
  injectable,
  missingAuthentication,
  serialization,
  unknownOperation,
} from "./errors.ts";
import { itemOperations } from "./item-operations.ts";
import { Tables, tableOperations } from "./table-operations.ts";

export { type Item, numberOf, textOf } from "./attributes.ts";
export type { InjectableFault } from "./errors.ts";

export interface DynamoDbEmulatorOptions {
  readonly region?: string;
  readonly accountId?: string;
  /** Items per Query page (DynamoDB cuts pages at 1 MB): small values exercise pagination. */
  readonly queryPageSize?: number;
}

/** One request as received, for tests that check what a client asked for. */
export interface DynamoDbCall {
  readonly operation: string;
  /** The request body as parsed JSON. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly status: number;
  /** The exception name, e.g. `ConditionalCheckFailedException`. */
  readonly errorType?: string;
  /** From the SigV4 credential scope: what the client was configured with. */
  readonly region?: string;
  readonly accessKeyId?: string;
}

export interface DynamoDbEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly region: string;
  readonly calls: readonly DynamoDbCall[];
  resetCalls(): void;
  /** A table's items as stored, for assertions. */
  items(tableName: string): Item[];
  /**
   * Deletes every item whose TTL attribute (epoch seconds) has passed, on tables with TTL enabled:
   * what DynamoDB's background process does, some time (up to days) after expiry.
   */
  expireItems(nowSeconds?: number): number;
  /** The next calls of `operation` fail with these errors, in order, before normal service resumes. */
  injectFaults(operation: string, faults: readonly InjectableFault[]): void;
  stop(): Promise<void>;
}

type Operation = (tables: Tables, input: unknown) => object;

export async function startDynamoDbEmulator(
  options: DynamoDbEmulatorOptions = {},
): Promise<DynamoDbEmulator> {
  const region = options.region ?? "us-east-1";
  const tables = new Tables(region, options.accountId ?? "111122223333");
  const operations: Readonly<Record<string, Operation>> = {
    ...tableOperations,
    ...itemOperations({
      ...(options.queryPageSize === undefined ? {} : { pageSize: options.queryPageSize }),
    }),
  };
  const calls: DynamoDbCall[] = [];
  const faults = new Map<string, InjectableFault[]>();
  const state = { tables, operations, calls, faults };
  const server = await startAwsJsonServer((request, response) => handle(request, response, state));

  return {
    endpoint: server.endpoint,
    region,
    get calls() {
      return [...calls];
    },
    resetCalls: () => {
      calls.length = 0;
    },
    items: (tableName) => tables.get(tableName).all(),
    expireItems(nowSeconds = Date.now() / 1000) {
      let deleted = 0;
      for (const table of tables.all()) {
        const ttl = table.ttlAttribute;
        if (ttl === undefined) continue;
        for (const item of table.all()) {
          const value = item[ttl];
          // The service ignores a TTL attribute that is not a number, as it does here.
          if (value !== undefined && "N" in value && Number(value.N) <= nowSeconds) {
            table.delete(table.keyOfItem(item));
            deleted++;
          }
        }
      }
      return deleted;
    },
    injectFaults(operation, injected) {
      faults.set(operation, [...(faults.get(operation) ?? []), ...injected]);
    },
    stop: () => server.stop(),
  };
}

const DYNAMODB_JSON = { protocol: "1.0", crc32: true } as const;

interface EmulatorState {
  readonly tables: Tables;
  readonly operations: Readonly<Record<string, Operation>>;
  readonly calls: DynamoDbCall[];
  readonly faults: Map<string, InjectableFault[]>;
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  state: EmulatorState,
): Promise<void> {
  const body = await readBody(request);
  // From here on nothing awaits: the operation runs to completion before any other request's does.
  const target = request.headers["x-amz-target"];
  const operation =
    typeof target === "string" && target.startsWith("DynamoDB_20120810.") ? target.slice(18) : "";
  const credential = sigV4Scope(request, "dynamodb");
  const scope = { region: credential?.region, accessKeyId: credential?.accessKeyId };
  let input: Record<string, unknown> = {};
  try {
    input = parseJson(body);
    if (!credential) throw missingAuthentication();
    const run = state.operations[operation];
    if (!run) throw unknownOperation();
    const fault = state.faults.get(operation)?.shift();
    if (fault) throw injectable[fault]();
    const result = run(state.tables, input);
    state.calls.push({ operation, input, status: 200, ...scope });
    sendJson(response, 200, result, DYNAMODB_JSON);
  } catch (error) {
    if (!(error instanceof DynamoDbServiceError)) throw error;
    state.calls.push({ operation, input, status: error.status, errorType: error.name, ...scope });
    sendJson(response, error.status, error.body(), DYNAMODB_JSON);
  }
}

function parseJson(body: Buffer): Record<string, unknown> {
  const parsed = parseJsonObject(body);
  if (parsed === undefined) throw serialization("Start of structure or map found where not expected.");
  return parsed;
}
