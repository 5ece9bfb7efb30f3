// The Lambda composition root: what one container builds on its first invocation and keeps for the
// next ones (the configuration, the DynamoDB store, the KMS signer, the Notary certificate shared by
// every container through the table, the SQS queue, the composed app). Lambda reuses a container for
// many invocations, one at a time, so all of this is paid once per cold start; the configuration
// secret is re-read every few minutes and the service recomposed only when its text changed.

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { retryDelayMs } from "../../lib/attach/failure.ts";
import type { Config } from "../../lib/config/schema.ts";
import { createLogger, type Logger } from "../../lib/observability/logger.ts";
import { createServiceMetrics, type ServiceMetrics } from "../../lib/observability/service-metrics.ts";
import { notaryCertificateChain } from "../../lib/signing/certificate-store.ts";
import { CertificateError } from "../../lib/signing/errors.ts";
import { isKmsKeyUri } from "../../lib/signing/key-uri.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import { dynamoDbCertificateStore } from "../../lib/store/dynamodb/certificates.ts";
import { DynamoDbStore } from "../../lib/store/dynamodb/store.ts";
import { type ComposedService, composeService } from "../compose.ts";
import { installNodeStreamingHash } from "../node/streaming-hash.ts";
import { dynamoDbApi } from "./dynamodb-store.ts";
import { type LambdaEnvironment, LambdaEnvironmentError, readLambdaEnvironment } from "./environment.ts";
import { type ConfigReader, configReader, parseLambdaConfig } from "./lambda-config.ts";
import type { SqsWorker } from "./sqs-batch.ts";
import { SqsJobQueue } from "./sqs-queue.ts";

export interface LambdaContainer {
  readonly config: Config;
  readonly service: ComposedService;
  readonly store: DynamoDbStore;
  readonly queue: SqsJobQueue;
  readonly signer: KmsSigner;
  /** DER, leaf first: what Notary verifiers must trust. */
  readonly certificateChain: readonly Uint8Array[];
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  /** The worker side: runs jobs of SQS messages and delays their retries. */
  readonly worker: SqsWorker;
}

export interface LambdaRuntimeOptions {
  /** Default `process.env`, read at the first invocation (not at import). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Registry fetch; default the platform's (Node's pooled keep-alive fetch). */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

interface Loaded {
  readonly container: LambdaContainer;
  readonly text: string;
  checkedAt: number;
}

/** One per container: builds the service lazily and keeps it; a failed build is retried next time. */
export class LambdaRuntime {
  readonly #options: LambdaRuntimeOptions;
  readonly #now: () => number;
  #parts: Promise<Parts> | undefined;
  #loaded: Promise<Loaded> | undefined;

  constructor(options: LambdaRuntimeOptions = {}) {
    installNodeStreamingHash();
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async container(): Promise<LambdaContainer> {
    this.#parts ??= openParts(this.#options).catch((error: unknown) => {
      this.#parts = undefined;
      throw error;
    });
    const parts = await this.#parts;
    this.#loaded ??= this.#load(parts, undefined);
    const loading = this.#loaded;
    const loaded = await loading.catch((error: unknown) => {
      if (this.#loaded === loading) this.#loaded = undefined;
      throw error;
    });
    const { config: source } = parts.env;
    if (source.kind === "secret" && this.#now() - loaded.checkedAt >= source.refreshMs) {
      loaded.checkedAt = this.#now();
      this.#loaded = this.#refresh(parts, loaded);
      return (await this.#loaded).container;
    }
    return loaded.container;
  }

  async #load(parts: Parts, text: string | undefined): Promise<Loaded> {
    const document = text ?? (await parts.reader.read());
    const container = await composeContainer(parts, document);
    return { container, text: document, checkedAt: this.#now() };
  }

  /** A changed secret gives a new service; an unchanged or unreadable one keeps the running one. */
  async #refresh(parts: Parts, current: Loaded): Promise<Loaded> {
    try {
      const text = await parts.reader.read();
      if (text === current.text) return current;
      const next = await this.#load(parts, text);
      parts.logger.info("configuration changed; service recomposed");
      return next;
    } catch (error) {
      parts.logger.warn("configuration refresh failed; keeping the running configuration", { error });
      return current;
    }
  }
}

/** What survives a configuration change: the environment, SDK clients, signers, metrics. */
interface Parts {
  readonly env: LambdaEnvironment;
  readonly reader: ConfigReader;
  readonly logger: Logger;
  readonly fetch: typeof fetch;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly metrics: ServiceMetrics;
  readonly signers: Map<string, Promise<KmsSigner>>;
  readonly processEnv: Readonly<Record<string, string | undefined>>;
}

async function openParts(options: LambdaRuntimeOptions): Promise<Parts> {
  const processEnv = options.env ?? process.env;
  const env = readLambdaEnvironment(processEnv);
  // Region, credentials and endpoints come from the SDK's standard chain: the Lambda role and
  // AWS_REGION in production, AWS_ENDPOINT_URL_<SERVICE> towards emulators in tests.
  const secrets = env.config.kind === "secret" ? new SecretsManagerClient({}) : undefined;
  const parts: Parts = {
    env,
    reader: configReader(env.config, secrets),
    logger: options.logger ?? createLogger({ bindings: { service: "countersign", runtime: "lambda" } }),
    fetch: options.fetch ?? globalThis.fetch,
    dynamodb: new DynamoDBClient({}),
    sqs: new SQSClient({}),
    metrics: createServiceMetrics(),
    signers: new Map(),
    processEnv,
  };
  // The stack's key does not depend on the configuration: fetch its public key while the secret is
  // read (one round trip less on a cold start; a failure surfaces where the signer is awaited).
  if (env.kmsKeyUri !== undefined) void signerFor(parts, env.kmsKeyUri);
  return parts;
}

async function composeContainer(parts: Parts, text: string): Promise<LambdaContainer> {
  const { env, logger, metrics } = parts;
  const config = await parseLambdaConfig(text, parts.reader.shown, parts.processEnv);
  const api = dynamoDbApi(parts.dynamodb);
  const store = new DynamoDbStore({ api, tableName: env.tableName });
  const signer = await signerFor(parts, keyUri(env, config));
  const certificateChain = await notaryCertificateChain({
    signer,
    configured: configuredPem(config.signer.certificateChain),
    store: dynamoDbCertificateStore({ api, tableName: env.tableName }),
  });
  const queue = new SqsJobQueue(env.queueUrl, parts.sqs);
  const service = await composeService({
    config,
    store,
    queue,
    signer,
    certificateChain,
    fetch: parts.fetch,
    logger,
    metrics,
  });
  const worker: SqsWorker = {
    runJob: (job, attempt) => service.runJob(job, attempt),
    delay: (receiptHandle, delayMs) => queue.delay(receiptHandle, delayMs),
    fallbackDelayMs: (attempt) => retryDelayMs(attempt, config.queue.backoff),
    logger,
  };
  logger.info("countersign ready", { keyId: signer.keyId, formats: config.formats });
  return { config, service, store, queue, signer, certificateChain, metrics, logger, worker };
}

/** The stack's key (environment) wins; a configuration naming a KMS key serves runs outside the stack. */
function keyUri(env: LambdaEnvironment, config: Config): string {
  if (env.kmsKeyUri !== undefined) return env.kmsKeyUri;
  const key = config.signer.key;
  if (key !== undefined && isKmsKeyUri(key)) return key;
  throw new LambdaEnvironmentError(
    "no signing key: set COUNTERSIGN_KMS_KEY_URI (the stack does) or signer.key to an awskms:// URI; key files do not exist on Lambda",
  );
}

/** `signer.certificateChain` on Lambda is the PEM text itself: a Lambda has no files to read. */
function configuredPem(text: string | undefined): string | undefined {
  if (text === undefined || text.trimStart().startsWith("-----BEGIN")) return text;
  throw new CertificateError(
    "signer.certificateChain must be the PEM text itself on Lambda (there are no files to read)",
  );
}

/** One GetPublicKey per key and container, whatever the configuration does. */
function signerFor(parts: Parts, uri: string): Promise<KmsSigner> {
  let signer = parts.signers.get(uri);
  if (signer === undefined) {
    signer = KmsSigner.open(uri);
    parts.signers.set(uri, signer);
    signer.catch(() => parts.signers.delete(uri));
  }
  return signer;
}
