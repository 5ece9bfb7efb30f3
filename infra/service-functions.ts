import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Architecture, type FunctionUrl, FunctionUrlAuthType, Runtime } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { LAMBDA_HANDLERS } from "./lambda-environment.ts";

export interface WorkerSettings {
  readonly timeout: Duration;
  /** Messages per invocation (1–10 without a batching window). */
  readonly batchSize: number;
  /** Concurrent invocations the queue may drive (2–1000); bounds KMS and registry load. */
  readonly maxConcurrency: number;
}

export interface ServiceFunctionsProps {
  /** `functions/lambda.ts`: exports `http` and `sqs`. */
  readonly entry: string;
  readonly projectRoot: string;
  readonly depsLockFilePath: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly queue: IQueue;
  readonly worker: WorkerSettings;
  readonly memorySize: number;
}

/**
 * One esbuild bundle per function: ESM like the source, minified for cold start, with a source map
 * so stack traces name our files. The AWS SDK is bundled rather than taken from the runtime, so
 * what runs is exactly the version the lockfile pins and the tests ran.
 */
export const LAMBDA_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: "node24",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Typed errors are told apart by `name` in logs and problem bodies; minification would rename them.
  keepNames: true,
  bundleAwsSDK: true,
  mainFields: ["module", "main"],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner:
    "import { createRequire as countersignCreateRequire } from 'node:module'; const require = countersignCreateRequire(import.meta.url);",
};

/** The HTTP function (behind a Function URL) and the SQS worker, both built from one entry file. */
export class ServiceFunctions extends Construct {
  readonly http: NodejsFunction;
  readonly worker: NodejsFunction;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: ServiceFunctionsProps) {
    super(scope, id);
    const common = {
      entry: props.entry,
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      bundling: LAMBDA_BUNDLING,
      environment: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" },
    };
    this.http = new NodejsFunction(this, "Http", {
      ...common,
      handler: LAMBDA_HANDLERS.http,
      description: "Countersign webhooks and REST API",
      // Webhooks answer 202 once enqueued; the slow path is POST /v1/signatures signing inline.
      timeout: Duration.seconds(30),
      logGroup: this.#logGroup("HttpLogs"),
    });
    this.worker = new NodejsFunction(this, "Worker", {
      ...common,
      handler: LAMBDA_HANDLERS.sqs,
      description: "Countersign attach jobs from SQS",
      timeout: props.worker.timeout,
      logGroup: this.#logGroup("WorkerLogs"),
    });
    this.worker.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: props.worker.batchSize,
        maxConcurrency: props.worker.maxConcurrency,
        // Without it one failed job would send the whole batch back, re-running the jobs that worked.
        reportBatchItemFailures: true,
      }),
    );
    // Webhook senders authenticate themselves (HMAC, shared secrets, OIDC) and the REST API checks
    // its own tokens, so the URL is public; CORS stays off because no browser calls it.
    this.url = this.http.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
  }

  #logGroup(id: string): LogGroup {
    return new LogGroup(this, id, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
