import { describe, expect, it } from "vitest";
import { LAMBDA_ENVIRONMENT } from "../../infra/lambda-environment.ts";
import { LambdaEnvironmentError, readLambdaEnvironment } from "./environment.ts";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const stack = {
  [LAMBDA_ENVIRONMENT.tableName]: "Countersign-JobTable",
  [LAMBDA_ENVIRONMENT.queueUrl]: "https://sqs.us-east-1.amazonaws.com/111122223333/Countersign-Jobs",
  [LAMBDA_ENVIRONMENT.kmsKeyUri]: `awskms:///${KEY_ARN}`,
  [LAMBDA_ENVIRONMENT.configSecretName]: "Countersign/config",
};

describe("readLambdaEnvironment", () => {
  it("reads what the stack sets: the secret is the configuration, re-read every 300 s", () => {
    expect(readLambdaEnvironment(stack)).toEqual({
      tableName: "Countersign-JobTable",
      queueUrl: stack.COUNTERSIGN_QUEUE_URL,
      kmsKeyUri: `awskms:///${KEY_ARN}`,
      config: { kind: "secret", secretId: "Countersign/config", refreshMs: 300_000 },
    });
  });

  it("prefers COUNTERSIGN_CONFIG over the secret", () => {
    const env = readLambdaEnvironment({ ...stack, COUNTERSIGN_CONFIG: '{"formats":["notary"]}' });
    expect(env.config).toEqual({ kind: "document", text: '{"formats":["notary"]}' });
  });

  it("takes the refresh interval from COUNTERSIGN_CONFIG_REFRESH_SECONDS", () => {
    const env = readLambdaEnvironment({ ...stack, COUNTERSIGN_CONFIG_REFRESH_SECONDS: "30" });
    expect(env.config).toMatchObject({ refreshMs: 30_000 });
  });

  it("names every missing or malformed variable, never its value", () => {
    const attempt = () =>
      readLambdaEnvironment({
        [LAMBDA_ENVIRONMENT.queueUrl]: "ftp://secret-host/queue",
        COUNTERSIGN_CONFIG: "{}",
      });
    expect(attempt).toThrow(LambdaEnvironmentError);
    expect(attempt).toThrow(`${LAMBDA_ENVIRONMENT.tableName}, ${LAMBDA_ENVIRONMENT.queueUrl}`);
    expect(attempt).not.toThrow(/secret-host/);
  });

  it("refuses a key that is not an awskms:// URI", () => {
    expect(() =>
      readLambdaEnvironment({ ...stack, [LAMBDA_ENVIRONMENT.kmsKeyUri]: "/keys/signing.pem" }),
    ).toThrow(/not an awskms/);
  });

  it("refuses to start without any configuration source", () => {
    const { [LAMBDA_ENVIRONMENT.configSecretName]: _, ...rest } = stack;
    expect(() => readLambdaEnvironment(rest)).toThrow(/no configuration/);
  });
});
