// The Node composition root: one process holding the Hono app, the SQLite store and an in-process
// queue. Everything decided here is wiring; the behaviour lives in lib/ (the HTTP app is lib/api/app.ts).
// Shutdown is bounded: running jobs get `queue.drainMs`, then their registry requests are aborted, as
// are REST reads still waiting on a registry, and open connections are closed.

import { mkdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import type { createApp } from "../../lib/api/app.ts";
import { PROBLEM_CONTENT_TYPE, type ProblemType, ProblemTypes, problemBody } from "../../lib/api/problem.ts";
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
import { installNodeStreamingHash } from "./streaming-hash.ts";

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
  /**
   * Graceful shutdown: stop accepting requests, let running jobs finish for `queue.drainMs`, then
   * abort what still runs (jobs resume at the next start), close connections and the store.
   */
  close(): Promise<void>;
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  installNodeStreamingHash();
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
  const stopping = new AbortController();
  // The queue needs the runner and the runner needs the queue's app: bind late through `service`.
  let service: ComposedService | undefined;
  const queue = new InProcessJobQueue({
    concurrency: config.queue.concurrency,
    run: (job, attempt, options) => service!.runJob(job, attempt, options),
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
    signal: stopping.signal,
  });
  const { app } = service;

  const port = options.port ?? config.server.port;
  const { server, address } = await listen(app.fetch, config.server.host, port);
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const recovered = await recoverJobs(store, queue);
  let closing: Promise<void> | undefined;
  logger.info("countersign listening", { url, keyId: signer.keyId, formats: config.formats, recovered });

  return {
    url,
    store,
    queue,
    signer,
    certificateChain,
    metrics,
    app,
    close() {
      // Once: a signal handler and a test's afterAll may both ask.
      closing ??= (async () => {
        const closed = new Promise<void>((done) => server.close(() => done()));
        await queue.close({ drainMs: config.queue.drainMs });
        stopping.abort(new Error("the service is shutting down"));
        (server as Server).closeAllConnections();
        await closed;
        store.close();
        await pooled?.close();
        logger.info("countersign stopped");
      })();
      return closing;
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
    server.on("clientError", answerClientError);
  });
}

/**
 * Requests Node refuses before the app sees them (a request line or headers past its 16 KiB limit,
 * unparsable HTTP) get a problem+json body like every other error, instead of a bare status line.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const refusal = clientErrorProblem(error.code);
  if (refusal === undefined || !socket.writable) {
    socket.destroy();
    return;
  }
  const [problem, detail] = refusal;
  const body = JSON.stringify(problemBody(problem, detail));
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nCache-Control: no-store\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function clientErrorProblem(code: string | undefined): [ProblemType, string] | undefined {
  if (code === "HPE_HEADER_OVERFLOW") {
    return [ProblemTypes.headersTooLarge, "the request line and headers exceed 16 KiB"];
  }
  if (code?.startsWith("HPE_")) return [ProblemTypes.invalidRequest, "the request is not valid HTTP/1.1"];
  return undefined;
}
