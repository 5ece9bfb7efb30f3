// The Node composition root: one process holding the Hono app, the SQLite store and an in-process
// queue. Everything decided here is wiring; the behaviour lives in lib/ (the HTTP app is lib/api/app.ts).
import { mkdir, readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import type { createApp } from "../../lib/api/app.ts";
import type { Config } from "../../lib/config/schema.ts";
import { createLogger, type Logger } from "../../lib/observability/logger.ts";
import { createServiceMetrics, type ServiceMetrics } from "../../lib/observability/service-metrics.ts";
import { notaryCertificateChain } from "../../lib/signing/certificate-store.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { type ComposedService, composeService } from "../compose.ts";
import { createPooledFetch } from "./fetch.ts";
import { InProcessJobQueue, recoverJobs } from "./job-queue.ts";
import { dataDirCertificateStore, openSigner } from "./key-files.ts";
import { defaultStorePath, openSqliteStore, type SqliteStore } from "./sqlite-store.ts";

export interface ServiceOptions {
  readonly logger?: Logger;
  /** Registry fetch (tests wrap it to count requests); default a pooled undici fetch. */
  readonly fetch?: typeof fetch;
  /** Overrides `config.server.port` (0: any free port). */
  readonly port?: number;
}

export interface RunningService {
  /** `http://127.0.0.1:8080` */
  readonly url: string;
  readonly store: SqliteStore;
  readonly queue: InProcessJobQueue;
  readonly signer: Signer;
  readonly certificateChain: readonly Uint8Array[];
  readonly metrics: ServiceMetrics;
  readonly app: ReturnType<typeof createApp>;
  /** Graceful shutdown: stop accepting requests, drain running jobs, close the store. */
  close(): Promise<void>;
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ bindings: { service: "countersign" } });
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = await openSqliteStore(defaultStorePath(dataDir));
  const signer = await openSigner(config.signer.key, { dataDir });
  const certificateChain = await notaryCertificateChain({
    signer,
    store: dataDirCertificateStore(dataDir),
    configured:
      config.signer.certificateChain === undefined
        ? undefined
        : await readFile(config.signer.certificateChain, "utf8"),
  });
  const metrics = createServiceMetrics();
  const pooled = options.fetch === undefined ? createPooledFetch() : undefined;
  // The queue needs the runner and the runner needs the queue's app: bind late through `service`.
  let service: ComposedService | undefined;
  const queue = new InProcessJobQueue({
    concurrency: config.queue.concurrency,
    run: (job, attempt) => service!.runJob(job, attempt),
  });
  service = await composeService({
    config,
    store,
    queue,
    signer,
    certificateChain,
    fetch: options.fetch ?? pooled!.fetch,
    logger,
    metrics,
  });
  const { app } = service;

  const port = options.port ?? config.server.port;
  const { server, address } = await listen(app.fetch, config.server.host, port);
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const recovered = await recoverJobs(store, queue);
  logger.info("countersign listening", { url, keyId: signer.keyId, formats: config.formats, recovered });

  return {
    url,
    store,
    queue,
    signer,
    certificateChain,
    metrics,
    app,
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      await queue.close();
      store.close();
      await pooled?.close();
      logger.info("countersign stopped");
    },
  };
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<{ server: ReturnType<typeof serve>; address: AddressInfo }> {
  return new Promise((resolveListen, reject) => {
    const server = serve({ fetch, hostname, port }, (info) => resolveListen({ server, address: info }));
    server.once("error", reject);
  });
}
