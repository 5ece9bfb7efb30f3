// Connection failures inside workerd: its fetch reports them as `Error: Network connection lost.`
// (no Node error code, not a TypeError), so recognizing them by Node's names made a lost registry or
// KMS connection a permanent failure on Workers, and the image was never signed (issue 13, item 8).
// The registry client and the KMS signer run in real workerd against a loopback port that resets every
// connection, and one where nothing listens: each failure must be one the attach job retries.
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/registry/distribution.ts";
import type { FailureReport } from "../support/workers/failure-worker.ts";
import { type RunningWorkerd, startWorkerd } from "../support/workers/workerd.ts";

let workerd: RunningWorkerd;
let resetting: Server;
let resetPort: number;
let closedPort: number;
let resets = 0;

beforeAll(async () => {
  workerd = await startWorkerd(new URL("../support/workers/failure-worker.ts", import.meta.url).pathname);
  resetting = createServer((socket) => {
    resets++;
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", resolve));
  resetPort = (resetting.address() as { port: number }).port;
  closedPort = await freePort();
});

afterAll(async () => {
  await workerd?.stop();
  await new Promise((resolve) => resetting?.close(resolve));
});

async function failureOf(kind: "registry" | "kms", port: number): Promise<FailureReport> {
  const response = await fetch(`${workerd.url}/?kind=${kind}&target=127.0.0.1:${port}`);
  const text = await response.text();
  expect(response.status, `${text}\n${workerd.logs()}`).toBe(200);
  return JSON.parse(text) as FailureReport;
}

describe("connection failures inside workerd are transient", () => {
  it("a registry that resets every connection: RegistryConnectionError, retried", async () => {
    resets = 0;
    const failure = await failureOf("registry", resetPort);
    expect(failure).toMatchObject({ name: "RegistryConnectionError", transient: true });
    expect(failure.detail).toMatch(
      /manifest\.get: GET http:\/\/127\.0\.0\.1:\d+\/v2\/team\/app\/manifests\/v1/,
    );
    // workerd's own words, which carry none of Node's codes.
    expect(failure.cause).not.toMatch(/ECONNRESET|TypeError/);
    // Both of the client's attempts reached the server.
    expect(resets).toBe(2);
  });

  it("a registry where nothing listens: the same", async () => {
    const failure = await failureOf("registry", closedPort);
    expect(failure).toMatchObject({ name: "RegistryConnectionError", transient: true });
  });

  it("a KMS endpoint that resets every connection: a retryable KmsError, without the secret key", async () => {
    resets = 0;
    const failure = await failureOf("kms", resetPort);
    expect(failure, JSON.stringify(failure)).toMatchObject({ name: "KmsError", transient: true });
    expect(failure.detail).toMatch(/NetworkError/);
    expect(failure.detail).not.toContain("workerd-secret");
    expect(resets).toBe(2);
  });

  it("a KMS endpoint where nothing listens: the same", async () => {
    const failure = await failureOf("kms", closedPort);
    expect(failure, JSON.stringify(failure)).toMatchObject({ name: "KmsError", transient: true });
  });
});
