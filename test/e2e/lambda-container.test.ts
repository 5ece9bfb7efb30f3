// The Lambda container's life: where the configuration comes from (COUNTERSIGN_CONFIG before the
// secret), what a failed start answers and that the next invocation retries it, a changed secret
// reaching a warm container, and the Notary certificate that every container shares through the
// table. Each LambdaRuntime here is one container; all of them talk to the KMS, DynamoDB and Secrets
// Manager emulators through the real AWS SDK.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LambdaRuntime } from "../../functions/aws/container.ts";
import { createLambdaHandlers } from "../../functions/aws/handlers.ts";
import { silentLogger } from "../../lib/observability/logger.ts";
import { certificatePem, createNotaryCertificate } from "../../lib/signing/certificate.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import {
  LAMBDA_TEST_SECRET,
  LAMBDA_TEST_TABLE,
  type LambdaAws,
  startLambdaAws,
  stringAttribute,
} from "../support/lambda/aws.ts";
import { functionUrlEvent, responseText } from "../support/lambda/http-event.ts";

const TOKEN = "container-test-webhook-token-0123456789";

const webhookConfig = (names: readonly string[]) =>
  JSON.stringify({
    registries: [{ host: "127.0.0.1:*" }],
    webhooks: names.map((name) => ({ name, kind: "distribution", settings: { auth: { bearer: TOKEN } } })),
  });

let aws: LambdaAws;

beforeAll(async () => {
  aws = await startLambdaAws({ config: webhookConfig(["distribution"]) });
  for (const [name, value] of Object.entries(aws.env)) vi.stubEnv(name, value);
  for (const name of aws.unset) vi.stubEnv(name, undefined);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await aws?.stop();
});

function container(env: Record<string, string | undefined>, now?: () => number) {
  const runtime = new LambdaRuntime({
    env: { ...aws.env, ...env },
    logger: silentLogger,
    ...(now && { now }),
  });
  return { runtime, ...createLambdaHandlers(runtime) };
}

async function post(handlers: ReturnType<typeof container>, path: string) {
  const result = await handlers.http(
    functionUrlEvent({ method: "POST", path, headers: { "content-type": "application/json" }, body: "{}" }),
  );
  return { status: result.statusCode, text: responseText(result) };
}

function storedCertificates(keyArn: string): string[] {
  return aws.dynamodb
    .items(LAMBDA_TEST_TABLE)
    .filter((item) => stringAttribute(item, "pk") === `NOTARY_CERT#${keyArn}`)
    .map((item) => stringAttribute(item, "pem")!);
}

describe("the Lambda container", () => {
  it("takes COUNTERSIGN_CONFIG over the secret, and then never reads the secret", async () => {
    aws.secrets.putSecret(LAMBDA_TEST_SECRET, "{ not json");
    try {
      const reads = aws.secrets.reads.length;
      const handlers = container({ COUNTERSIGN_CONFIG: webhookConfig(["from-env"]) });
      expect((await post(handlers, "/webhooks/from-env")).status).toBe(401);
      expect((await post(handlers, "/webhooks/distribution")).status).toBe(404);
      expect(aws.secrets.reads.length).toBe(reads);
    } finally {
      aws.secrets.putSecret(LAMBDA_TEST_SECRET, webhookConfig(["distribution"]));
    }
  });

  it("answers a failed start with a 500 problem that names no secret, and retries at the next invocation", async () => {
    const document = JSON.stringify({
      registries: [
        { host: "127.0.0.1:*", credentials: { username: "u", password: "registry-password-never-shown" } },
      ],
      webhooks: [{ name: "d", kind: "distribution", settings: { auth: { bearer: { env: "LATE_TOKEN" } } } }],
    });
    const lines: string[] = [];
    const spy = vi
      .spyOn(console, "error")
      .mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      const env: Record<string, string | undefined> = { ...aws.env, COUNTERSIGN_CONFIG: document };
      const handlers = createLambdaHandlers(new LambdaRuntime({ env, logger: silentLogger }));
      const failed = await handlers.http(functionUrlEvent({ path: "/healthz" }));
      expect(failed.statusCode).toBe(500);
      expect(failed.headers?.["content-type"]).toBe("application/problem+json");
      expect(responseText(failed)).not.toContain("registry-password");
      expect(lines.join("\n")).toContain("LATE_TOKEN is not set");
      expect(lines.join("\n")).not.toContain("registry-password-never-shown");
      await expect(handlers.sqs({ Records: [] })).rejects.toThrow(/LATE_TOKEN/);

      // The same container: nothing failed is kept, so the next invocation starts over.
      env.LATE_TOKEN = TOKEN;
      expect((await handlers.http(functionUrlEvent({ path: "/healthz" }))).statusCode).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });

  it("retries a start that failed on a missing environment variable once it is there", async () => {
    const env: Record<string, string | undefined> = { ...aws.env, COUNTERSIGN_TABLE_NAME: undefined };
    const runtime = new LambdaRuntime({ env, logger: silentLogger });
    await expect(runtime.container()).rejects.toThrow(/COUNTERSIGN_TABLE_NAME/);
    env.COUNTERSIGN_TABLE_NAME = LAMBDA_TEST_TABLE;
    await expect(runtime.container()).resolves.toBeDefined();
  });

  it("picks up a changed secret after the refresh interval, and only then", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const handlers = container({}, () => now);
    expect((await post(handlers, "/webhooks/added-later")).status).toBe(404);
    const reads = aws.secrets.reads.length;
    aws.secrets.putSecret(LAMBDA_TEST_SECRET, webhookConfig(["distribution", "added-later"]));
    try {
      now += 299_000;
      expect((await post(handlers, "/webhooks/added-later")).status).toBe(404);
      expect(aws.secrets.reads.length).toBe(reads);
      now += 2_000;
      expect((await post(handlers, "/webhooks/added-later")).status).toBe(401);
      expect(aws.secrets.reads.length).toBe(reads + 1);
      // Unchanged text: the same service (and the same app) is kept.
      const before = await handlers.runtime.container();
      now += 301_000;
      expect(await handlers.runtime.container()).toBe(before);
    } finally {
      aws.secrets.putSecret(LAMBDA_TEST_SECRET, webhookConfig(["distribution"]));
    }
  });

  it("keeps the running configuration when the refreshed secret is invalid", async () => {
    let now = 0;
    const handlers = container({}, () => now);
    const before = await handlers.runtime.container();
    aws.secrets.putSecret(LAMBDA_TEST_SECRET, '{"registries": 7}');
    try {
      now += 600_000;
      expect(await handlers.runtime.container()).toBe(before);
      expect((await post(handlers, "/webhooks/distribution")).status).toBe(401);
    } finally {
      aws.secrets.putSecret(LAMBDA_TEST_SECRET, webhookConfig(["distribution"]));
    }
  });

  it("gives every container the same self-signed Notary certificate, stored once in the table", async () => {
    // A key no container has used yet: all four start at once, find no certificate and race to store theirs.
    const { arn } = await aws.kms.createKey("ECC_NIST_P256");
    const env = { ...aws.env, COUNTERSIGN_KMS_KEY_URI: `awskms:///${arn}` };
    const containers = Array.from({ length: 4 }, () => new LambdaRuntime({ env, logger: silentLogger }));
    const chains = await Promise.all(containers.map(async (c) => (await c.container()).certificateChain));
    const pems = chains.map((chain) => chain.map(certificatePem).join(""));
    expect(new Set(pems).size).toBe(1);
    expect(storedCertificates(arn)).toEqual([pems[0]]);
  });

  it("uses a certificate chain from the configuration (PEM text), and refuses one for another key", async () => {
    const signer = await KmsSigner.open(`awskms:///${aws.keyArn}`);
    const leaf = await createNotaryCertificate(signer, { subject: "CN=Configured, O=Countersign" });
    const configured = container({
      COUNTERSIGN_CONFIG: JSON.stringify({ signer: { certificateChain: certificatePem(leaf) } }),
    });
    expect((await configured.runtime.container()).certificateChain).toEqual([leaf]);

    const other = await LocalSigner.generate("ES256");
    const foreign = await createNotaryCertificate(other, { subject: "CN=Other" });
    const refused = container({
      COUNTERSIGN_CONFIG: JSON.stringify({ signer: { certificateChain: certificatePem(foreign) } }),
    });
    await expect(refused.runtime.container()).rejects.toThrow(/another key/);
    const path = container({
      COUNTERSIGN_CONFIG: JSON.stringify({ signer: { certificateChain: "chain.pem" } }),
    });
    await expect(path.runtime.container()).rejects.toThrow(/PEM text itself/);
  });
});
