// A Secrets Manager emulator for tests: the JSON 1.1 protocol (`POST /`, `X-Amz-Target:
// secretsmanager.<Operation>`) on a loopback port, secrets in memory, looked up by name or ARN, with
// the service's error shape for a missing secret. Only GetSecretValue, which the Lambda adapter
// calls; tests put and change values directly. A SigV4 Authorization header for `secretsmanager` is
// required (not verified).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson, sigV4Scope, startAwsJsonServer } from "../aws-json-server.ts";

export interface SecretsEmulator {
  readonly endpoint: string;
  readonly region: string;
  /** Creates or replaces the secret's current value; returns its ARN. */
  putSecret(name: string, value: string): string;
  /** GetSecretValue calls so far, by secret id as asked. */
  readonly reads: readonly string[];
  stop(): Promise<void>;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  value: string;
  versionId: string;
  readonly createdAt: number;
}

export async function startSecretsEmulator(
  options: { region?: string; accountId?: string } = {},
): Promise<SecretsEmulator> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "111122223333";
  const secrets = new Map<string, Secret>();
  const reads: string[] = [];

  const find = (id: unknown): Secret | undefined =>
    typeof id === "string" ? (secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id)) : undefined;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const [status, answer] = getSecretValue(request, await readBody(request));
    sendJson(response, status, answer, { protocol: "1.1" });
  }

  function getSecretValue(request: IncomingMessage, body: Buffer): [number, object] {
    const target = String(request.headers["x-amz-target"] ?? "");
    if (sigV4Scope(request, "secretsmanager") === undefined) {
      return [400, { __type: "MissingAuthenticationTokenException", message: "" }];
    }
    if (target !== "secretsmanager.GetSecretValue") {
      return [400, { __type: "UnknownOperationException", message: target }];
    }
    let input: { SecretId?: unknown };
    try {
      input = JSON.parse(body.toString("utf8")) as { SecretId?: unknown };
    } catch {
      return [400, { __type: "SerializationException", message: "" }];
    }
    reads.push(String(input.SecretId));
    const secret = find(input.SecretId);
    if (secret === undefined) {
      return [
        400,
        { __type: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." },
      ];
    }
    return [
      200,
      {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.value,
        VersionId: secret.versionId,
        VersionStages: ["AWSCURRENT"],
        CreatedDate: secret.createdAt / 1000,
      },
    ];
  }

  const server = await startAwsJsonServer(handle);
  return {
    endpoint: server.endpoint,
    region,
    putSecret(name, value) {
      const existing = secrets.get(name);
      if (existing !== undefined) {
        existing.value = value;
        existing.versionId = randomUUID();
        return existing.arn;
      }
      const suffix = randomUUID().slice(0, 6);
      const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;
      secrets.set(name, { arn, name, value, versionId: randomUUID(), createdAt: Date.now() });
      return arn;
    },
    reads,
    stop: () => server.stop(),
  };
}
