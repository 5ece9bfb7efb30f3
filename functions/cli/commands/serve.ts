// `countersign serve`: the whole service in one Node process, on embedded defaults without a config file.
import { loadConfig } from "../../node/config-file.ts";
import { startService } from "../../node/service.ts";
import { COMMON_HELP, type Command, EXIT_OK, parseCommandArgs, UsageError } from "../command.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the service: webhooks in, signatures attached, REST API (one Node process)",
  usage: `Usage: countersign serve [--config <file>] [--port <n>]

Runs Countersign on this machine: registry webhooks at POST /webhooks/<name>, attach jobs in-process,
the REST API under /v1, OpenAPI at /openapi.json and docs at /docs.

Without --config (and without COUNTERSIGN_CONFIG) it runs on embedded defaults: a P-256 key generated
once in .countersign/, the SQLite store there, loopback registries, and a "distribution" webhook.

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
    const service = await startService(config, port === undefined ? {} : { port });
    io.stderr.write(`countersign: listening on ${service.url} (key ${service.signer.keyId})\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        io.stderr.write("countersign: shutting down, draining jobs…\n");
        service.close().then(done, done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return EXIT_OK;
  },
};
