// The shape of a CLI command, and argument parsing shared by all of them (node:util parseArgs), so
// that every command answers --help and reports usage errors the same way.
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { CliIo } from "./io.ts";

/** What a command module (commands/<name>.ts) exports. */
export interface Command {
  /** One or more words: `copy`, `manifest get`. */
  readonly name: string;
  /** The full help text, starting with the `Usage:` line. */
  readonly usage: string;
  /** Resolves to the exit code: 0 success, 1 failure, 2 usage error. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * A command as the command list knows it (commands/index.ts): its name and summary, and a run that
 * loads the command's module on first use, so that starting one command loads no other's dependencies.
 */
export interface CommandEntry {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Bad command line: exit code 2 and a pointer to --help, never a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * A value on the command line that does not do: a file that is not there, a key that is not a key.
 * Exit code 2 like a usage error, without the pointer to --help (the message names the flag and value).
 */
export class InputError extends Error {
  override readonly name = "InputError";
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
  const all: Options = { ...COMMON_OPTIONS, ...options };
  checkOptions(command, args, all);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: all, allowPositionals: true, strict: true });
  } catch (error) {
    // checkOptions caught what users mistype; what is left (ERR_PARSE_ARGS_*) is still a usage error.
    throw new UsageError((error as Error).message.split("\n")[0]!);
  }
  if (parsed.values.help) {
    io.stdout.write(`${command.usage}\n`);
    return undefined;
  }
  if (parsed.positionals.length !== positionals.length) {
    const expected = positionals.map((name) => `<${name}>`).join(" ");
    throw new UsageError(
      positionals.length === 0
        ? `${command.name} takes no arguments, got ${JSON.stringify(parsed.positionals[0])}`
        : `${command.name} takes ${positionals.length} argument${positionals.length === 1 ? "" : "s"} (${expected}), got ${parsed.positionals.length}`,
    );
  }
  return parsed as unknown as ParsedCommandArgs<O & typeof COMMON_OPTIONS>;
}

/**
 * Unknown options and missing values in Countersign's words: node:util's messages suggest a `--` that
 * clashes with `npm run countersign -- …`, and span several lines.
 */
function checkOptions(command: Command, args: readonly string[], options: Options): void {
  const byShort = new Map(
    Object.entries(options).flatMap(([name, option]) => (option.short ? [[option.short, name]] : [])),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return;
    if (!arg.startsWith("-") || arg === "-") continue;
    const long = arg.startsWith("--");
    const [flag, inline] = long ? splitInline(arg) : [arg, undefined];
    const name = long ? flag.slice(2) : byShort.get(flag.slice(1));
    const option = name === undefined ? undefined : options[name];
    if (option === undefined || name === undefined) {
      const known = Object.keys(options)
        .map((n) => `--${n}`)
        .join(", ");
      throw new UsageError(`unknown option ${flag}: ${command.name} takes ${known}`);
    }
    if (option.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, got ${JSON.stringify(arg)}`);
      continue;
    }
    if (inline !== undefined) continue;
    const value = args[i + 1];
    if (value === undefined || (value.startsWith("-") && value !== "-")) {
      throw new UsageError(`--${name} needs a value`);
    }
    i++;
  }
}

function splitInline(arg: string): [string, string | undefined] {
  const equals = arg.indexOf("=");
  return equals === -1 ? [arg, undefined] : [arg.slice(0, equals), arg.slice(equals + 1)];
}
