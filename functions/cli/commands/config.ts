// `countersign config schema` and `countersign config check <file>`: the configuration's JSON Schema,
// and a validation of a file (secrets resolved, so a missing variable or file shows up here first).
import { configJsonSchema } from "../../../lib/config/json-schema.ts";
import { ConfigError } from "../../../lib/config/load.ts";
import type { Config } from "../../../lib/config/schema.ts";
import { isKmsKeyUri } from "../../../lib/signing/key-uri.ts";
import { loadConfig } from "../../node/config-file.ts";
import { type Command, EXIT_FAILURE, EXIT_OK, parseCommandArgs } from "../command.ts";
import type { CliIo } from "../io.ts";

export const configSchemaCommand: Command = {
  name: "config schema",
  summary: "print the JSON Schema of the configuration file",
  usage: `Usage: countersign config schema

Prints the JSON Schema (draft 2020-12) of the configuration file, with every field described and
every default shown. Point an editor at it, e.g. "$schema" in a JSON file or a yaml-language-server
comment in a YAML file.

Options:
  -h, --help     show this help`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    if (!parseCommandArgs(this, args, io, {}, [])) return EXIT_OK;
    io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return EXIT_OK;
  },
};

export const configCheckCommand: Command = {
  name: "config check",
  summary: "validate a configuration file and resolve its secrets",
  usage: `Usage: countersign config check <file>

Validates <file> (YAML or JSON) the way 'countersign serve' loads it: unknown or bad fields are named
by path (registries[0].host: …), and secrets given as { env: NAME } or { file: path } are resolved,
so a missing variable or unreadable file is reported. Secret values are never printed.
Exit status: 0 valid, 1 invalid.

Options:
  -h, --help     show this help`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommandArgs(this, args, io, {}, ["file"]);
    if (!parsed) return EXIT_OK;
    const file = parsed.positionals[0]!;
    let config: Config;
    try {
      config = await loadConfig(file, { env: io.env });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.stderr.write(`${error.message}\n`);
      return EXIT_FAILURE;
    }
    io.stdout.write(`${file}: valid\n${summarize(config)}`);
    return EXIT_OK;
  },
};

export const configCommands: readonly Command[] = [configSchemaCommand, configCheckCommand];

/** What the configuration amounts to, without a single secret value. */
export function summarize(config: Config): string {
  const registries = config.registries.map(
    (r) => `${r.host}${r.credentials ? " (credentials)" : ""}${r.profile ? ` profile=${r.profile}` : ""}`,
  );
  const webhooks = config.webhooks.map(
    (w) => `POST /webhooks/${w.name} (${w.kind}${w.authenticated ? "" : ", no authentication"})`,
  );
  const key = config.signer.key;
  const signer =
    key === undefined
      ? `generated key in ${config.dataDir}`
      : isKmsKeyUri(key)
        ? "AWS KMS key"
        : `key file ${key}`;
  const api = [
    `${config.api.tokens.length} token${config.api.tokens.length === 1 ? "" : "s"}`,
    ...(config.api.githubOidc ? ["GitHub OIDC"] : []),
  ];
  return [
    `  registries: ${registries.join(", ")}`,
    `  webhooks:   ${webhooks.join(", ") || "none"}`,
    `  signer:     ${signer}`,
    `  formats:    ${config.formats.join(", ")}`,
    `  api:        ${api.join(", ")}`,
    `  server:     ${config.server.host}:${config.server.port}, data in ${config.dataDir}`,
    "",
  ].join("\n");
}
