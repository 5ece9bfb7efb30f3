// An AWS KMS emulator for tests: the JSON 1.1 protocol over HTTP on a loopback port
// (`POST /`, `X-Amz-Target: TrentService.<Operation>`, `Content-Type: application/x-amz-json-1.1`),
// real keys, AWS's error shapes, optional throttling and injected faults, and per-operation counters.
// SigV4 signatures are not checked, but a SigV4 Authorization header is required, as AWS does.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseJsonObject, readBody, sendJson, sigV4Scope, startAwsJsonServer } from "../aws-json-server.ts";
import { dependencyTimeout, internalFailure, KmsServiceError, throttling } from "./errors.ts";
import { type KmsKeySpec, KmsKeyStore, type KmsKeyUsage } from "./key-store.ts";
import { operations } from "./operations.ts";
import { requireOpenssl } from "./signature.ts";

export type { KmsKeySpec, KmsKeyUsage } from "./key-store.ts";

/** What an injected fault does to the next call: an AWS error, or a connection closed mid-request. */
export type KmsFault =
  | "ThrottlingException"
  | "KMSInternalException"
  | "DependencyTimeoutException"
  | "connection-reset";

export interface KmsEmulatorOptions {
  readonly region?: string;
  readonly accountId?: string;
  /** Every n-th call of a throttled operation answers ThrottlingException (KMS's own quota error). */
  readonly throttleEvery?: number;
  /** Operations `throttleEvery` applies to; default `["Sign"]`. */
  readonly throttledOperations?: readonly string[];
}

export type KmsOperationName =
  | "CreateKey"
  | "DescribeKey"
  | "GetPublicKey"
  | "Sign"
  | "Verify"
  | "CreateAlias"
  | "ListAliases";

export interface KmsCallCount {
  readonly received: number;
  readonly succeeded: number;
  readonly failed: number;
}

export interface KmsRequestRecord {
  readonly operation: string;
  /** Region and access key id from the SigV4 credential scope: what the client was configured with. */
  readonly region: string | undefined;
  readonly accessKeyId: string | undefined;
  readonly status: number;
  readonly errorType?: string;
  /** Sign and Verify: the `SigningAlgorithm` and `MessageType` asked for, as sent. */
  readonly signingAlgorithm?: string;
  readonly messageType?: string;
}

export interface KmsEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  createKey(
    spec: KmsKeySpec,
    options?: { usage?: KmsKeyUsage; description?: string },
  ): Promise<{ keyId: string; arn: string }>;
  createAlias(aliasName: string, keyId: string): Promise<{ aliasName: string; aliasArn: string }>;
  /** Counts per operation since start or the last `resetCalls()`. */
  readonly calls: Readonly<Record<KmsOperationName, KmsCallCount>>;
  readonly requests: readonly KmsRequestRecord[];
  resetCalls(): void;
  /** The next calls of `operation` fail with these faults, in order, before normal service resumes. */
  injectFaults(operation: string, faults: readonly KmsFault[]): void;
  setThrottleEvery(every: number | undefined): void;
  stop(): Promise<void>;
}

export async function startKmsEmulator(options: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
  requireOpenssl();
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "111122223333";
  const store = new KmsKeyStore(region, accountId);
  const state = new EmulatorState(options);
  const server = await startAwsJsonServer((request, response) => handle(store, state, request, response));

  return {
    endpoint: server.endpoint,
    region,
    accountId,
    async createKey(spec, keyOptions = {}) {
      const key = await store.createKey(spec, keyOptions.usage ?? "SIGN_VERIFY", keyOptions.description);
      return { keyId: key.keyId, arn: key.arn };
    },
    async createAlias(aliasName, keyId) {
      const alias = store.createAlias(aliasName, keyId);
      return { aliasName: alias.name, aliasArn: alias.arn };
    },
    get calls() {
      return state.snapshot();
    },
    get requests() {
      return [...state.requests];
    },
    resetCalls: () => state.reset(),
    injectFaults: (operation, faults) => state.inject(operation, faults),
    setThrottleEvery: (every) => {
      state.throttleEvery = every;
    },
    stop: () => server.stop(),
  };
}

class EmulatorState {
  throttleEvery: number | undefined;
  readonly throttled: ReadonlySet<string>;
  readonly requests: KmsRequestRecord[] = [];
  #counts = new Map<string, { received: number; succeeded: number; failed: number }>();
  readonly #faults = new Map<string, KmsFault[]>();

  constructor(options: KmsEmulatorOptions) {
    this.throttleEvery = options.throttleEvery;
    this.throttled = new Set(options.throttledOperations ?? ["Sign"]);
  }

  count(operation: string): { received: number; succeeded: number; failed: number } {
    let count = this.#counts.get(operation);
    if (!count) {
      count = { received: 0, succeeded: 0, failed: 0 };
      this.#counts.set(operation, count);
    }
    return count;
  }

  /** The fault this call suffers, if any: injected ones first, then the throttling schedule. */
  faultFor(operation: string, received: number): KmsFault | undefined {
    const injected = this.#faults.get(operation)?.shift();
    if (injected) return injected;
    const every = this.throttleEvery;
    if (every && this.throttled.has(operation) && received % every === 0) return "ThrottlingException";
    return undefined;
  }

  inject(operation: string, faults: readonly KmsFault[]): void {
    this.#faults.set(operation, [...(this.#faults.get(operation) ?? []), ...faults]);
  }

  snapshot(): Record<KmsOperationName, KmsCallCount> {
    const known = Object.keys(operations).map((op) => [op, { ...this.count(op) }] as const);
    const seen = [...this.#counts].map(([op, c]) => [op, { ...c }] as const);
    return Object.fromEntries([...known, ...seen]) as Record<KmsOperationName, KmsCallCount>;
  }

  reset(): void {
    this.#counts = new Map();
    this.requests.length = 0;
  }
}

const KMS_JSON = { protocol: "1.1" } as const;

async function handle(
  store: KmsKeyStore,
  state: EmulatorState,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const body = await readBody(request);
  const target = request.headers["x-amz-target"];
  const operation = typeof target === "string" && target.startsWith("TrentService.") ? target.slice(13) : "";
  const credential = sigV4Scope(request, "kms");
  const record = {
    operation,
    region: credential?.region,
    accessKeyId: credential?.accessKeyId,
    ...signingOf(body),
  };
  const count = state.count(operation);
  count.received++;

  const fault = state.faultFor(operation, count.received);
  if (fault === "connection-reset") {
    count.failed++;
    state.requests.push({ ...record, status: 0, errorType: fault });
    request.socket.destroy();
    return;
  }
  try {
    if (fault) throw faultError(fault);
    if (!credential) {
      throw new KmsServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
    }
    const run = operations[operation];
    if (!run) throw new KmsServiceError("UnknownOperationException", "", 400);
    const result = await run(store, parseJson(body));
    count.succeeded++;
    state.requests.push({ ...record, status: 200 });
    sendJson(response, 200, result, KMS_JSON);
  } catch (error) {
    if (!(error instanceof KmsServiceError)) throw error;
    count.failed++;
    state.requests.push({ ...record, status: error.status, errorType: error.type });
    response.setHeader("x-amzn-ErrorType", error.type);
    sendJson(response, error.status, { __type: error.type, message: error.message }, KMS_JSON);
  }
}

/** What a Sign or Verify request asked for, read leniently: a malformed body is answered elsewhere. */
function signingOf(body: Buffer): { signingAlgorithm?: string; messageType?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return {};
  }
  const { SigningAlgorithm, MessageType } = (parsed ?? {}) as Record<string, unknown>;
  return {
    ...(typeof SigningAlgorithm === "string" && { signingAlgorithm: SigningAlgorithm }),
    ...(typeof MessageType === "string" && { messageType: MessageType }),
  };
}

function faultError(fault: Exclude<KmsFault, "connection-reset">): KmsServiceError {
  if (fault === "ThrottlingException") return throttling();
  if (fault === "KMSInternalException") return internalFailure();
  return dependencyTimeout();
}

function parseJson(body: Buffer): Readonly<Record<string, unknown>> {
  const parsed = parseJsonObject(body);
  if (parsed === undefined) {
    throw new KmsServiceError(
      "SerializationException",
      "Start of structure or map found where not expected.",
    );
  }
  return parsed;
}
