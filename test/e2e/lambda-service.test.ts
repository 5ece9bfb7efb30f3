// End to end on the Lambda adapter: the exported `http` and `sqs` handlers of functions/lambda.ts,
// called in-process with the event shapes Lambda delivers (Function URL payload 2.0, SQS batches),
// against a real distribution 2.8 registry and emulators of KMS (P-256 key), DynamoDB, SQS and
// Secrets Manager driven through the real AWS SDK. The test plays Lambda's SQS event source mapping:
// it receives from the queue, invokes `sqs`, and deletes what the batch response did not fail.
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { http, sqs } from "../../functions/lambda.ts";
import { verifySubject } from "../../lib/attach/verify-subject.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { parseCertificateChain } from "../../lib/signing/certificate.ts";
import {
  LAMBDA_TEST_TABLE,
  type LambdaAws,
  lambdaTestCredentials,
  startLambdaAws,
  stringAttribute,
} from "../support/lambda/aws.ts";
import { functionUrlEvent, responseText } from "../support/lambda/http-event.ts";
import { freePort, type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";
import { buildImage, pushImage } from "../support/registry/images.ts";
import { deliverBatch } from "../support/sqs/event-source.ts";
import { DISTRIBUTION_EVENTS_V1, distributionPushEnvelope } from "../support/webhooks/distribution-events.ts";

const WEBHOOK_TOKEN = "lambda-e2e-webhook-token-0123456789";

let aws: LambdaAws;
let registry: RunningRegistry;
let proxy: FaultProxy;
let subject: Descriptor;
const logs: string[] = [];

async function webhook(envelope: unknown, token: string | null = WEBHOOK_TOKEN) {
  const result = await http(
    functionUrlEvent({
      method: "POST",
      path: "/webhooks/distribution",
      headers: {
        "content-type": DISTRIBUTION_EVENTS_V1,
        ...(token !== null && { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(envelope),
    }),
  );
  return { status: result.statusCode, headers: result.headers ?? {}, json: JSON.parse(responseText(result)) };
}

async function get(path: string) {
  const result = await http(functionUrlEvent({ path }));
  return { status: result.statusCode, headers: result.headers ?? {}, text: responseText(result) };
}

function sendCount(): number {
  return aws.sqs.calls.filter((c) => c.operation === "SendMessage" && c.status === 200).length;
}

/** The Notary certificate every container uses, as persisted in the table. */
function storedCertificateChain(): Uint8Array[] {
  const item = aws.dynamodb
    .items(LAMBDA_TEST_TABLE)
    .find((i) => stringAttribute(i, "pk") === `NOTARY_CERT#${aws.keyArn}`);
  expect(item, "the Notary certificate item").toBeDefined();
  return parseCertificateChain(stringAttribute(item!, "pem")!);
}

async function verifyAll(host: string, repository: string, descriptor: Descriptor) {
  const jwks = JSON.parse((await get("/v1/keys")).text) as { keys: Array<{ pem: string }> };
  return verifySubject({
    target: new RegistryClient(host).repository(repository),
    subject: descriptor,
    formats: ["notary", "cosign", "bundle"],
    material: { publicKeys: jwks.keys.map((k) => k.pem), trustStore: storedCertificateChain() },
  });
}

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  const config = {
    registries: [{ host: "127.0.0.1:*" }],
    webhooks: [
      {
        name: "distribution",
        kind: "distribution",
        settings: { auth: { bearer: { env: "WEBHOOK_TOKEN" } } },
      },
    ],
    queue: { backoff: { initialMs: 1_000, maxMs: 2_000 } },
  };
  aws = await startLambdaAws({ config: JSON.stringify(config) });
  for (const [name, value] of Object.entries(aws.env)) vi.stubEnv(name, value);
  for (const name of aws.unset) vi.stubEnv(name, undefined);
  vi.stubEnv("WEBHOOK_TOKEN", WEBHOOK_TOKEN);
  // Lambda sends stdout to CloudWatch; here it is kept to check that no secret is ever written.
  vi.spyOn(console, "log").mockImplementation((line: unknown) => void logs.push(String(line)));
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void logs.push(String(line)));

  const image = await buildImage({ layers: 1 });
  try {
    await pushImage(image.dir, `${registry.host}/team/app:v1`);
    // Reached through the fault proxy: another registry host, so its own idempotency records.
    await pushImage(image.dir, `${registry.host}/team/flaky:v1`);
  } finally {
    await image.cleanup();
  }
  subject = { ...image.manifest };
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await proxy?.stop();
  await registry?.stop();
  await aws?.stop();
});

describe("the Lambda adapter, end to end", () => {
  it("answers GET /healthz through the http handler, reading the store", async () => {
    const before = aws.dynamodb.calls.length;
    const response = await get("/healthz");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ status: "ok", store: "ok" });
    expect(aws.dynamodb.calls.length).toBeGreaterThan(before);
  });

  let firstEvent: SQSEvent;

  it("turns a distribution webhook into an SQS message that the sqs handler signs", async () => {
    const response = await webhook(distributionPushEnvelope(registry.host, "team/app", subject, "v1"));
    expect(response.status).toBe(202);
    expect(response.json.accepted).toHaveLength(1);
    const [jobId] = response.json.accepted as string[];
    const [message] = aws.sqs.messages(aws.queueUrl);
    expect(JSON.parse(message!.body)).toMatchObject({
      jobId,
      request: { registry: registry.host, repository: "team/app", digest: subject.digest },
    });

    const batch = await deliverBatch(aws.sqs, aws.queueUrl, sqs);
    expect(batch?.response).toEqual({ batchItemFailures: [] });
    expect(aws.sqs.messages(aws.queueUrl)).toHaveLength(0);
    firstEvent = batch!.event;

    const job = JSON.parse((await get(`/v1/jobs/${jobId}`)).text) as { status: string; attempts: number };
    expect(job).toMatchObject({ status: "succeeded", attempts: 1 });
    for (const report of await verifyAll(registry.host, "team/app", subject)) {
      expect(report.signatures, report.format).toHaveLength(1);
      expect(report.verified, `${report.format}: ${report.signatures[0]?.detail}`).toBe(true);
    }
    // Signed through KMS: one Sign per format plus the self-signed certificate's.
    expect(aws.kms.calls.Sign.succeeded).toBe(4);
  });

  it("signs the Notary envelope with the certificate persisted in the table for this KMS key", async () => {
    const [leaf] = storedCertificateChain();
    const jwks = JSON.parse((await get("/v1/keys")).text) as { keys: Array<{ pem: string; kid?: string }> };
    const { X509Certificate } = await import("node:crypto");
    const certificateKey = new X509Certificate(leaf!).publicKey.export({ type: "spki", format: "pem" });
    expect(String(certificateKey).trim()).toBe(jwks.keys[0]!.pem.trim());
  });

  it("a redelivered SQS message gives no second signature", async () => {
    const signs = aws.kms.calls.Sign.succeeded;
    const again: SQSEvent = {
      Records: firstEvent.Records.map((r) => ({
        ...r,
        receiptHandle: crypto.randomUUID(),
        attributes: { ...r.attributes, ApproximateReceiveCount: "2" },
      })),
    };
    expect(await sqs(again)).toEqual({ batchItemFailures: [] });
    expect(aws.kms.calls.Sign.succeeded).toBe(signs);
    for (const report of await verifyAll(registry.host, "team/app", subject))
      expect(report.signatures, report.format).toHaveLength(1);
  });

  it("a redelivered webhook sends no second message", async () => {
    const envelope = distributionPushEnvelope(registry.host, "team/app", subject, "v1");
    const sent = sendCount();
    expect((await webhook(envelope)).status).toBe(202);
    const second = await webhook(envelope);
    expect(second.status).toBe(202);
    expect(second.json.accepted).toEqual([]);
    expect(sendCount()).toBe(sent + 1);
    const batch = await deliverBatch(aws.sqs, aws.queueUrl, sqs);
    expect(batch?.response).toEqual({ batchItemFailures: [] });
    for (const report of await verifyAll(registry.host, "team/app", subject))
      expect(report.signatures, report.format).toHaveLength(1);
  });

  it("answers 503 when SQS refuses the job, and the sender's retry enqueues it", async () => {
    // The SDK makes 3 attempts; all of them fail.
    aws.sqs.failNext("SendMessage", 3);
    const envelope = distributionPushEnvelope(registry.host, "team/app", subject, "v1");
    const refused = await webhook(envelope);
    expect(refused.status).toBe(503);
    expect(refused.json.type).toBe("urn:countersign:problem:queue-unavailable");
    expect(aws.sqs.messages(aws.queueUrl)).toHaveLength(0);

    const retried = await webhook(envelope);
    expect(retried.status).toBe(202);
    expect(retried.json.accepted).toHaveLength(1);
    const batch = await deliverBatch(aws.sqs, aws.queueUrl, sqs);
    expect(batch?.response).toEqual({ batchItemFailures: [] });
    const job = JSON.parse((await get(`/v1/jobs/${retried.json.accepted[0]}`)).text) as { status: string };
    expect(job.status).toBe("succeeded");
  });

  it("a failing registry yields a batch item failure, delayed by visibility, then succeeds on redelivery", async () => {
    proxy.inject({ kind: "status", status: 503 }, 1_000);
    const response = await webhook(distributionPushEnvelope(proxy.host, "team/flaky", subject, "v1"));
    const [jobId] = response.json.accepted as string[];
    const [message] = aws.sqs.messages(aws.queueUrl);

    const failed = await deliverBatch(aws.sqs, aws.queueUrl, sqs);
    expect(failed?.response).toEqual({ batchItemFailures: [{ itemIdentifier: message!.messageId }] });
    const change = aws.sqs.calls.findLast((c) => c.operation === "ChangeMessageVisibility");
    expect(change?.status).toBe(200);
    // Backoff of attempt 1 with initialMs 1000: 500–1000 ms, rounded up to SQS's whole seconds.
    expect(change?.input.VisibilityTimeout).toBe(1);
    const job = JSON.parse((await get(`/v1/jobs/${jobId}`)).text) as { status: string; lastError: string };
    expect(job.status).toBe("failed");
    expect(job.lastError).toMatch(/503/);
    expect(await deliverBatch(aws.sqs, aws.queueUrl, sqs), "hidden until the backoff ends").toBeUndefined();

    proxy.clear();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const retried = await deliverBatch(aws.sqs, aws.queueUrl, sqs);
    expect(retried?.event.Records[0]?.attributes.ApproximateReceiveCount).toBe("2");
    expect(retried?.response).toEqual({ batchItemFailures: [] });
    const done = JSON.parse((await get(`/v1/jobs/${jobId}`)).text) as { status: string; attempts: number };
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
    for (const report of await verifyAll(proxy.host, "team/flaky", subject)) {
      expect(report.signatures, report.format).toHaveLength(1);
      expect(report.verified, report.format).toBe(true);
    }
  });

  it("a registry that is down (nothing listening) yields a batch item failure", async () => {
    const downHost = `127.0.0.1:${await freePort()}`;
    await webhook(distributionPushEnvelope(downHost, "team/app", subject, "v1"));
    const [message] = aws.sqs.messages(aws.queueUrl);
    const batch = await deliverBatch(aws.sqs, aws.queueUrl, sqs);
    expect(batch?.response).toEqual({ batchItemFailures: [{ itemIdentifier: message!.messageId }] });
    expect(aws.sqs.messages(aws.queueUrl)).toHaveLength(1);
  });

  it("reports a message that is not an attach job, so it reaches the dead-letter queue", async () => {
    const event: SQSEvent = {
      Records: [{ ...firstEvent.Records[0]!, messageId: crypto.randomUUID(), body: '{"not":"a job"}' }],
    };
    const response = await sqs(event);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
  });

  it("an unauthenticated webhook gets 401, sends nothing and asks nothing of the registry", async () => {
    const sent = sendCount();
    const requests = proxy.requests.length;
    const wrong = await webhook(
      distributionPushEnvelope(proxy.host, "team/app", subject, "v1"),
      "wrong-token-0123456789",
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers["content-type"]).toContain("application/problem+json");
    const missing = await webhook(distributionPushEnvelope(proxy.host, "team/app", subject, "v1"), null);
    expect(missing.status).toBe(401);
    expect(sendCount()).toBe(sent);
    expect(proxy.requests.length).toBe(requests);
  });

  it("read the configuration secret once for all these invocations (one container)", () => {
    expect(aws.secrets.reads).toEqual(["Countersign/config"]);
    expect(aws.kms.calls.GetPublicKey.succeeded).toBe(1);
  });

  it("wrote no secret to the logs", () => {
    expect(logs.length).toBeGreaterThan(0);
    const text = logs.join("\n");
    for (const secret of [
      WEBHOOK_TOKEN,
      lambdaTestCredentials.secretAccessKey,
      lambdaTestCredentials.sessionToken,
    ])
      expect(text).not.toContain(secret);
  });
});
