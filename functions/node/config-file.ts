// Reads the configuration file (YAML or JSON) on Node, resolves its secrets from environment variables
// and files, and makes its paths absolute. Relative paths (secret files, the key, the certificate
// chain, dataDir) are relative to the file's directory, as in docker compose, so that a configuration
// means the same from any working directory; without a file, to the working directory.
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import { ConfigError, parseConfig } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/schema.ts";
import type { SecretResolver } from "../../lib/config/secret.ts";
import { isKmsKeyUri } from "../../lib/signing/key-uri.ts";
import { fileProblem } from "./file-problem.ts";

/** Far beyond any real configuration; refuses to parse a mistaken multi-megabyte file. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadConfigOptions {
  /** Environment for `{ env: NAME }` secrets; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths when there is no file; default process.cwd(). */
  readonly cwd?: string;
}

/** Loads `path`, or the embedded defaults when `path` is undefined. Throws ConfigError. */
export async function loadConfig(path: string | undefined, options: LoadConfigOptions = {}): Promise<Config> {
  const cwd = options.cwd ?? process.cwd();
  const base = path === undefined ? cwd : dirname(resolve(cwd, path));
  const document = path === undefined ? undefined : await readDocument(resolve(cwd, path), path);
  const env = options.env ?? process.env;
  const resolver: SecretResolver = {
    env: (name) => env[name],
    readFile: (file) => readFile(resolve(base, file), "utf8"),
  };
  const config = await parseConfig(document, resolver, { source: path ?? "embedded defaults" });
  return withAbsolutePaths(config, base);
}

/** The parsed document (undefined for an empty file). Syntax errors report where, never what. */
async function readDocument(absolute: string, shown: string): Promise<unknown> {
  let text: string;
  try {
    const size = (await stat(absolute)).size;
    if (size > MAX_CONFIG_BYTES)
      throw new ConfigError(shown, [{ path: "(root)", message: "file larger than 1 MiB" }]);
    text = await readFile(absolute, "utf8");
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      shown,
      [{ path: "(root)", message: `cannot read the file: ${fileProblem(error)}` }],
      {
        cause: error,
      },
    );
  }
  // A .json file is JSON: YAML would accept a trailing comma and report a truncated file as bad indentation.
  return extname(absolute).toLowerCase() === ".json" ? parseJson(text, shown) : parseYaml(text, shown);
}

function parseJson(text: string, shown: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text near the fault, which may be a secret: keep only the position.
    const position = Number(/at position (\d+)/.exec((error as Error).message)?.[1] ?? text.length);
    const where =
      position >= text.trimEnd().length
        ? "the file ends early (truncated?)"
        : `at ${lineAndColumn(text, position)}`;
    throw new ConfigError(shown, [{ path: "(root)", message: `not valid JSON: ${where}` }]);
  }
}

function parseYaml(text: string, shown: string): unknown {
  // YAML's error messages quote the offending line, which may hold a secret: report the kind and position.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => {
      const at = error.linePos?.[0];
      const kind = error.code.toLowerCase().replaceAll("_", " ");
      return {
        path: "(root)",
        message: `not valid YAML: ${kind}${at ? ` at line ${at.line}, column ${at.col}` : ""}`,
      };
    });
    throw new ConfigError(shown, issues);
  }
  return document.toJS({ maxAliasCount: 100 });
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

function withAbsolutePaths(config: Config, base: string): Config {
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  const { key, certificateChain } = config.signer;
  return {
    ...config,
    dataDir: absolute(config.dataDir),
    signer: {
      ...config.signer,
      ...(key !== undefined && !isKmsKeyUri(key) ? { key: absolute(key) } : {}),
      ...(certificateChain !== undefined ? { certificateChain: absolute(certificateChain) } : {}),
    },
  };
}
