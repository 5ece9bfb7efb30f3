// `countersign serve`: the whole service in one Node process, on embedded defaults without a config file.
import { loadConfig } from "../../node/config-file.ts";
import { startService } from "../../node/service.ts";
import { untilStopped } from "../../node/shutdown.ts";
import { COMMON_HELP, type Command, EXIT_OK, InputError, parseCommandArgs, UsageError } from "../command.ts";

/**
 * A bound on stopping: the queue's own drain (running jobs, then their requests aborted) comes first; this
 * only guards against a shutdown step that never ends, so that a stopped service never lingers.
 */
const SHUTDOWN_LIMIT_MS = 30_000;

export const serveCommand: Command = {
  name: "serve",
  usage: `Usage: countersign serve [--config <file>] [--port <n>]

Runs Countersign on this machine: registry webhooks at POST /webhooks/<name>, attach jobs in-process,
the REST API under /v1, OpenAPI at /openapi.json and docs at /docs.

Without --config (and without COUNTERSIGN_CONFIG) it runs on embedded defaults: a P-256 key generated
once in .countersign/, the SQLite store there, loopback registries, and a "distribution" webhook.

SIGINT (Ctrl-C) or SIGTERM stops it: no new requests, running jobs drained, the store closed
(at most 30 s; the same signal again stops at once). Under npm it also stops when npm is gone.

Options:
  --config <file>  configuration file (YAML or JSON); \`countersign config schema\` prints its schema
  --port <n>       listen port (overrides server.port; 0 picks a free port)
${COMMON_HELP}`,
  async run(args, io) {
    const parsed = parseCommandArgs(
      this,
      args,
      io,
      { config: { type: "string" }, port: { type: "string" } },
      [],
    );
    if (parsed === undefined) return EXIT_OK;
    const config = await loadConfig(parsed.values.config ?? io.env.COUNTERSIGN_CONFIG);
    const port = parsed.values.port === undefined ? undefined : Number(parsed.values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new UsageError(
        `--port must be a port number (0-65535), not ${JSON.stringify(parsed.values.port)}`,
      );
    }
    // Signals are watched before the service announces itself: a supervisor may signal as soon as it
    // reads "listening", and one arriving during start-up stops the service once it is up.
    const starting = startService(config, port === undefined ? {} : { port }).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== "EADDRINUSE") throw error;
      const where = `${config.server.host}:${port ?? config.server.port}`;
      throw new InputError(
        `${where} is in use by another process (choose another with --port or server.port)`,
        {
          cause: error,
        },
      );
    });
    const stopping = untilStopped(async () => (await starting).close(), {
      process,
      limitMs: SHUTDOWN_LIMIT_MS,
      log: (line) => io.stderr.write(`${line}\n`),
    });
    const service = await starting;
    io.stderr.write(`countersign: listening on ${service.url} (key ${service.signer.keyId})\n`);
    const stopped = await stopping;
    // Running jobs or open connections would keep the event loop (and the port) alive: exit regardless.
    if (!stopped.graceful) process.exit(stopped.code);
    return EXIT_OK;
  },
};
