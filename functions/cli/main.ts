// The `countersign` command line: finds the command named by the first words of argv and runs it.
// Expected failures (bad input, registry errors, missing content) print one line and exit 1, usage
// errors exit 2; a stack trace only with COUNTERSIGN_DEBUG=1.

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../lib/config/load.ts";
import { fileProblem } from "../node/file-problem.ts";
import { installNodeStreamingHash } from "../node/streaming-hash.ts";
import { type CommandEntry, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, InputError, UsageError } from "./command.ts";
import { commands as registered } from "./commands/index.ts";
import { type CliIo, nodeIo } from "./io.ts";

/** Bad input named on the command line: a usage error, whatever layer noticed it. */
const INPUT_ERRORS = new Set([
  "InvalidReferenceError",
  "InvalidLayoutReferenceError",
  "InvalidPlatformError",
  "InvalidDigestError",
]);

export async function runCli(
  argv: readonly string[],
  io: CliIo = nodeIo(),
  commands: readonly CommandEntry[] = registered,
): Promise<number> {
  installNodeStreamingHash();
  const first = argv[0];
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    (first === undefined ? io.stderr : io.stdout).write(overview(commands, []));
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = findCommand(commands, argv);
  if (!command) {
    const group = commands.filter((c) => c.name.split(" ")[0] === first && c.name.includes(" "));
    if (group.length > 0) {
      const help = argv[1] === "--help" || argv[1] === "-h";
      (help ? io.stdout : io.stderr).write(overview(group, [first]));
      if (help) return EXIT_OK;
      io.stderr.write(
        `countersign: ${argv[1] === undefined ? `${first} needs a subcommand` : `unknown command "${first} ${argv[1]}"`}\n`,
      );
      return EXIT_USAGE;
    }
    io.stderr.write(
      `countersign: unknown command ${JSON.stringify(first)}\nRun 'countersign --help' for the list.\n`,
    );
    return EXIT_USAGE;
  }
  const args = argv.slice(command.name.split(" ").length);
  try {
    return await command.run(args, io);
  } catch (error) {
    return report(error, command, io);
  }
}

function findCommand(commands: readonly CommandEntry[], argv: readonly string[]): CommandEntry | undefined {
  const byLength = [...commands].sort((a, b) => b.name.split(" ").length - a.name.split(" ").length);
  return byLength.find((command) => command.name.split(" ").every((word, i) => argv[i] === word));
}

function report(error: unknown, command: CommandEntry, io: CliIo): number {
  const debug = io.env.COUNTERSIGN_DEBUG === "1";
  if (error instanceof UsageError || (error instanceof Error && INPUT_ERRORS.has(error.name))) {
    io.stderr.write(
      `countersign ${command.name}: ${oneLine(error.message)} (see 'countersign ${command.name} --help')\n`,
    );
    return EXIT_USAGE;
  }
  if (error instanceof InputError) {
    io.stderr.write(`countersign ${command.name}: ${oneLine(error.message)}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof ConfigError) {
    // One line per bad field, each already naming the file and the field.
    io.stderr.write(`${error.message}\n`);
    return EXIT_FAILURE;
  }
  io.stderr.write(`countersign ${command.name}: error: ${describe(error)}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return EXIT_FAILURE;
}

/**
 * The one line an unexpected failure gets. A file error that no command turned into words of its own
 * names its path and the problem (Node's `ENOENT: no such file or directory, open 'x'` is neither).
 */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const { path, code } = error as { path?: unknown; code?: unknown };
  if (typeof path === "string" && typeof code === "string") return `${path}: ${fileProblem(error)}`;
  return oneLine(error.message);
}

/** Messages from libraries may span lines. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, "; ");
}

function overview(commands: readonly CommandEntry[], prefix: readonly string[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  const usage = prefix.length > 0 ? `${prefix.join(" ")} <command>` : "<command>";
  return `Usage: countersign ${usage} [options]

Countersign signs container images as they are pushed and attaches the signatures as OCI referrers.

Commands:
${lines.join("\n")}

Run 'countersign <command> --help' for a command's options.
`;
}

// Run when executed directly (`node functions/cli/main.ts`, `tsx functions/cli/main.ts`); bin/countersign.mjs
// imports runCli instead.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2));
}
