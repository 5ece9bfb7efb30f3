// The shape of a CLI command, and argument parsing shared by all of them (node:util parseArgs), so
// that every command answers --help and reports usage errors the same way.
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { CliIo } from "./io.ts";

export interface Command {
  /** One or more words: `copy`, `manifest get`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full help text, starting with the `Usage:` line. */
  readonly usage: string;
  /** Resolves to the exit code: 0 success, 1 failure, 2 usage error. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Bad command line: exit code 2 and a pointer to --help, never a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedCommandArgs<O extends Options> {
  readonly values: {
    readonly [K in keyof O]?: O[K] extends { type: "boolean" }
      ? boolean
      : O[K] extends { multiple: true }
        ? string[]
        : string;
  };
  readonly positionals: readonly string[];
}

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  "plain-http": { type: "boolean" },
} as const satisfies Options;

export const COMMON_HELP = `Common options:
  --plain-http   talk plain HTTP to a registry that is not on loopback (loopback always is)
  -h, --help     show this help`;

/**
 * Parses `args` for `command`; undefined when --help was asked (the usage is printed). Positionals
 * are checked against `positionals` (names, for the message).
 */
export function parseCommandArgs<O extends Options>(
  command: Command,
  args: readonly string[],
  io: CliIo,
  options: O,
  positionals: readonly string[],
): ParsedCommandArgs<O & typeof COMMON_OPTIONS> | undefined {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help) {
    io.stdout.write(`${command.usage}\n`);
    return undefined;
  }
  if (parsed.positionals.length !== positionals.length) {
    const expected = positionals.map((name) => `<${name}>`).join(" ");
    throw new UsageError(
      `${command.name} takes ${positionals.length} argument${positionals.length === 1 ? "" : "s"} (${expected}), got ${parsed.positionals.length}`,
    );
  }
  return parsed as unknown as ParsedCommandArgs<O & typeof COMMON_OPTIONS>;
}
