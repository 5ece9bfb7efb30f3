import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config/load.ts";
import type { CloudflareEnv } from "./bindings.ts";
import { loadWorkerConfig, workerSecretResolver } from "./worker-config.ts";

const env = (bindings: Record<string, unknown>) => bindings as unknown as CloudflareEnv;
const webhookWith = (bearer: unknown) => ({
  registries: [{ host: "127.0.0.1:*" }],
  webhooks: [{ name: "distribution", kind: "distribution", settings: { auth: { bearer } } }],
});

async function configError(bindings: Record<string, unknown>): Promise<ConfigError> {
  const error = await loadWorkerConfig(env(bindings)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("configuration on Workers", () => {
  it("reads COUNTERSIGN_CONFIG as JSON text (a secret) or as an object (a JSON var)", async () => {
    const document = { registries: [{ host: "registry.example.com" }], formats: ["notary"] };
    for (const value of [JSON.stringify(document), document]) {
      const config = await loadWorkerConfig(env({ COUNTERSIGN_CONFIG: value }));
      expect(config.formats).toEqual(["notary"]);
      expect(config.registries.map((r) => r.host)).toEqual(["registry.example.com"]);
    }
  });

  it("falls back to the embedded defaults without COUNTERSIGN_CONFIG, as Node does without a file", async () => {
    const config = await loadWorkerConfig(env({}));
    expect(config.formats).toEqual(["notary", "cosign", "bundle"]);
  });

  it("resolves { env: NAME } secrets from Worker secrets", async () => {
    const config = await loadWorkerConfig(
      env({
        COUNTERSIGN_CONFIG: webhookWith({ env: "HOOK_TOKEN" }),
        HOOK_TOKEN: "worker-secret-token-123456",
      }),
    );
    const settings = config.webhooks[0]?.settings as { auth: { bearer: string } };
    expect(settings.auth.bearer).toBe("worker-secret-token-123456");
  });

  it("names an unset secret by its binding, and refuses { file } secrets saying what to do instead", async () => {
    const unset = await configError({ COUNTERSIGN_CONFIG: webhookWith({ env: "HOOK_TOKEN" }) });
    expect(unset.message).toContain("environment variable HOOK_TOKEN is not set");
    const file = await configError({ COUNTERSIGN_CONFIG: webhookWith({ file: "/run/secrets/hook" }) });
    expect(file.message).toContain('cannot read secret file "/run/secrets/hook"');
    expect(file.message).toContain("wrangler secret put");
    await expect(workerSecretResolver(env({})).readFile("x")).rejects.toThrow("no file system on Workers");
  });

  it("refuses key and certificate files, pointing at the secrets that replace them", async () => {
    const key = await configError({ COUNTERSIGN_CONFIG: { signer: { key: "keys/signing.pem" } } });
    expect(key.issues).toEqual([expect.objectContaining({ path: "signer.key" })]);
    expect(key.message).toContain("COUNTERSIGN_SIGNING_KEY");
    const chain = await configError({ COUNTERSIGN_CONFIG: { signer: { certificateChain: "chain.pem" } } });
    expect(chain.message).toContain("COUNTERSIGN_CERTIFICATE_CHAIN");
    const kms = await loadWorkerConfig(
      env({ COUNTERSIGN_CONFIG: { signer: { key: "awskms:///alias/countersign" } } }),
    );
    expect(kms.signer.key).toBe("awskms:///alias/countersign");
  });

  it("reports invalid JSON without quoting it (it may hold a literal secret)", async () => {
    const error = await configError({ COUNTERSIGN_CONFIG: '{"api":{"tokens":["s3cret-literal-token-value"' });
    expect(error.message).toContain("not valid JSON");
    expect(error.message).not.toContain("s3cret");
  });
});
