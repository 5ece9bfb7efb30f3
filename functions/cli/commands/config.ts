// `countersign config schema` and `countersign config check <file>`: the configuration's JSON Schema,
// and a validation of a file (secrets resolved, so a missing variable or file shows up here first).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { configJsonSchema } from "../../../lib/config/json-schema.ts";
import type { Config } from "../../../lib/config/schema.ts";
import { isKmsKeyUri } from "../../../lib/signing/key-uri.ts";
import { loadConfig } from "../../node/config-file.ts";
import { dataDirKeyFile } from "../../node/key-files.ts";
import { type Command, EXIT_OK, parseCommandArgs } from "../command.ts";
import type { CliIo } from "../io.ts";

export const configSchemaCommand: Command = {
  name: "config schema",
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
  usage: `Usage: countersign config check <file>

Validates <file> the way 'countersign serve' loads it: unknown or bad fields are named by path
(registries[0].host: …), and secrets given as { env: NAME } or { file: path } are resolved, so a
missing variable or unreadable file is reported. A *.json file is read as strict JSON, anything else
as YAML. Then it prints what serve would do with it; it only reads (no key is made, nothing written).
Relative paths in the file (dataDir, signer.key, secret files) are relative to the file's directory.
Secret values are never printed. Exit status: 0 valid, 1 invalid.

Options:
  -h, --help     show this help`,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseCommandArgs(this, args, io, {}, ["file"]);
    if (!parsed) return EXIT_OK;
    const file = parsed.positionals[0]!;
    const config = await loadConfig(file, { env: io.env });
    const generatedKey = join(config.dataDir, dataDirKeyFile);
    io.stdout.write(`${file}: valid\n${summarize(config, { generatedKeyExists: existsSync(generatedKey) })}`);
    return EXIT_OK;
  },
};

export interface ConfigState {
  /** `<dataDir>/signing-key.pem` is there already (an earlier `serve` made it). */
  readonly generatedKeyExists: boolean;
}

/**
 * What the configuration amounts to, without a single secret value: what `serve` would do with it,
 * never claiming it has done anything (check only reads).
 */
export function summarize(config: Config, state: ConfigState): string {
  const registries = config.registries.map(
    (r) => `${r.host}${r.credentials ? " (credentials)" : ""}${r.profile ? ` profile=${r.profile}` : ""}`,
  );
  const webhooks = config.webhooks.map(
    (w) => `POST /webhooks/${w.name} (${w.kind}${w.authenticated ? "" : ", no authentication"})`,
  );
  const key = config.signer.key;
  const signer =
    key === undefined
      ? state.generatedKeyExists
        ? `the key generated earlier, ${join(config.dataDir, dataDirKeyFile)}`
        : `none yet: serve will generate a P-256 key at ${join(config.dataDir, dataDirKeyFile)}`
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
    `  server:     ${config.server.host}:${config.server.port}`,
    `  dataDir:    ${config.dataDir} (store countersign.db${key === undefined ? ", the generated key" : ""})`,
    "",
  ].join("\n");
}
