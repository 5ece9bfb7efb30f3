import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../main.ts";

const EXAMPLE = resolve(import.meta.dirname, "../../../examples/countersign.yaml");

function capture(env: Record<string, string> = {}) {
  const out = { stdout: "", stderr: "" };
  const io = {
    stdout: { write: (chunk: string | Uint8Array) => (out.stdout += String(chunk)) },
    stderr: { write: (chunk: string | Uint8Array) => (out.stderr += String(chunk)) },
    env,
  };
  return { io, out };
}

describe("countersign config", () => {
  it("schema prints the JSON Schema", async () => {
    const { io, out } = capture();
    expect(await runCli(["config", "schema"], io)).toBe(0);
    const schema = JSON.parse(out.stdout);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        "registries",
        "webhooks",
        "signer",
        "formats",
        "policy",
        "api",
        "dataDir",
        "server",
        "queue",
      ]),
    );
  });

  it("check accepts the example and prints a summary without secrets", async () => {
    const token = "api-token-0123456789abcdef";
    const { io, out } = capture({
      COUNTERSIGN_WEBHOOK_TOKEN: "webhook-token-xyz",
      COUNTERSIGN_API_TOKEN: token,
    });
    expect(await runCli(["config", "check", EXAMPLE], io)).toBe(0);
    expect(out.stdout).toContain("valid");
    expect(out.stdout).toContain("POST /webhooks/distribution");
    // It says what serve would do, and does not claim (or do) it: no key appears in the data dir.
    const dataDir = resolve(dirname(EXAMPLE), ".countersign");
    expect(out.stdout).toContain(
      `signer:     none yet: serve will generate a P-256 key at ${dataDir}/signing-key.pem`,
    );
    expect(out.stdout).toContain(`dataDir:    ${dataDir} (store countersign.db, the generated key)`);
    expect(existsSync(dataDir)).toBe(false);
    expect(out.stdout).not.toContain(token);
    expect(out.stdout).not.toContain("webhook-token-xyz");
  });

  it("check fails naming the field when a secret is missing", async () => {
    const { io, out } = capture({ COUNTERSIGN_API_TOKEN: "api-token-0123456789abcdef" });
    expect(await runCli(["config", "check", EXAMPLE], io)).toBe(1);
    expect(out.stderr).toContain(
      "webhooks[0].settings.auth.bearer: environment variable COUNTERSIGN_WEBHOOK_TOKEN is not set",
    );
  });

  it("check without a file is a usage error", async () => {
    const { io, out } = capture();
    expect(await runCli(["config", "check"], io)).toBe(2);
    expect(out.stderr).toContain("<file>");
  });
});
