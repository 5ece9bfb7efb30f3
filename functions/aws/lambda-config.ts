// The configuration on Lambda: one JSON document, from the Secrets Manager secret the stack creates
// (infra/README.md, "Put the configuration in the secret") or, for tests and local runs, from an
// environment variable. Secrets inside are literals in the document or `{ env: NAME }`; a Lambda
// has no configuration files, so `{ file: … }` is refused with a message saying what to do instead.
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigError, parseConfig } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/schema.ts";
import type { SecretResolver } from "../../lib/config/secret.ts";
import type { ConfigSource } from "./environment.ts";

/** Secrets Manager's own limit on a secret value is 64 KiB; anything larger is not ours. */
const MAX_DOCUMENT_BYTES = 64 * 1024;

export interface LoadedConfig {
  readonly config: Config;
  /** The document as read: a re-read that returns the same text changes nothing. */
  readonly text: string;
}

export interface ConfigReader {
  /** The document's text (no parsing): cheap to compare on refresh. */
  read(): Promise<string>;
  /** Where it came from, for error messages (a secret name, never its value). */
  readonly shown: string;
}

export function configReader(source: ConfigSource, client?: SecretsManagerClient): ConfigReader {
  if (source.kind === "document") return { shown: "COUNTERSIGN_CONFIG", read: async () => source.text };
  const secrets = client ?? new SecretsManagerClient({});
  return {
    shown: `secret ${source.secretId}`,
    async read() {
      let out: { SecretString?: string | undefined };
      try {
        out = await secrets.send(new GetSecretValueCommand({ SecretId: source.secretId }));
      } catch (error) {
        const name = (error as { name?: unknown }).name;
        throw new ConfigError(
          `secret ${source.secretId}`,
          [
            {
              path: "(root)",
              message: `GetSecretValue failed (${typeof name === "string" ? name : "error"})`,
            },
          ],
          { cause: error },
        );
      }
      if (out.SecretString === undefined)
        throw new ConfigError(`secret ${source.secretId}`, [
          { path: "(root)", message: "the secret has no SecretString (binary secrets are not read)" },
        ]);
      return out.SecretString;
    },
  };
}

/** Parses and validates the document; `env` resolves `{ env: NAME }` secrets. Throws ConfigError. */
export async function parseLambdaConfig(
  text: string,
  shown: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Config> {
  if (new TextEncoder().encode(text).length > MAX_DOCUMENT_BYTES)
    throw new ConfigError(shown, [{ path: "(root)", message: "document larger than 64 KiB" }]);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // No position or excerpt: V8's message quotes the text around the fault, which may be a secret.
    throw new ConfigError(shown, [{ path: "(root)", message: "not valid JSON" }]);
  }
  const resolver: SecretResolver = {
    env: (name) => env[name],
    readFile: () =>
      Promise.reject(
        Object.assign(new Error("no files on Lambda"), {
          code: "no files on Lambda: put the value in the document or use { env: NAME }",
        }),
      ),
  };
  return parseConfig(document, resolver, { source: shown });
}
