import { describe, expect, it } from "vitest";
import { type Command, parseCommandArgs, UsageError } from "./command.ts";
import type { CliIo } from "./io.ts";
import { runCli } from "./main.ts";

function memoryIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (chunk) => out.push(String(chunk)) },
    stderr: { write: (chunk) => err.push(String(chunk)) },
    env,
  };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

const seen: string[][] = [];
const echo: Command = {
  name: "keys list",
  summary: "a command added by one line",
  usage: "Usage: countersign keys list [--long]",
  async run(args, io) {
    const parsed = parseCommandArgs(this, args, io, { long: { type: "boolean" } }, []);
    if (!parsed) return 0;
    seen.push([...args]);
    return 0;
  },
};
const failing: Command = {
  name: "explode",
  summary: "fails",
  usage: "Usage: countersign explode",
  async run() {
    throw new Error("registry said no", { cause: new Error("inner") });
  },
};
const misused: Command = {
  name: "misuse",
  summary: "usage error",
  usage: "Usage: countersign misuse",
  async run() {
    throw new UsageError("bad flag combination");
  },
};
const commands = [echo, failing, misused];

describe("runCli", () => {
  it("dispatches multi-word commands with the remaining arguments", async () => {
    const { io } = memoryIo();
    expect(await runCli(["keys", "list", "--long"], io, commands)).toBe(0);
    expect(seen.at(-1)).toEqual(["--long"]);
  });

  it("prints a group's commands for `keys --help`, and exits 2 for `keys` alone", async () => {
    const help = memoryIo();
    expect(await runCli(["keys", "--help"], help.io, commands)).toBe(0);
    expect(help.stdout()).toContain("keys list  a command added by one line");
    const bare = memoryIo();
    expect(await runCli(["keys"], bare.io, commands)).toBe(2);
    expect(bare.stderr()).toContain("keys needs a subcommand");
  });

  it("maps usage errors to 2 and failures to 1, with a stack only under COUNTERSIGN_DEBUG=1", async () => {
    const misuse = memoryIo();
    expect(await runCli(["misuse"], misuse.io, commands)).toBe(2);
    expect(misuse.stderr()).toBe(
      "countersign misuse: bad flag combination\nRun 'countersign misuse --help' for usage.\n",
    );
    const unknownFlag = memoryIo();
    expect(await runCli(["keys", "list", "--nope"], unknownFlag.io, commands)).toBe(2);
    expect(unknownFlag.stderr()).toMatch(/Unknown option '--nope'/);

    const quiet = memoryIo();
    expect(await runCli(["explode"], quiet.io, commands)).toBe(1);
    expect(quiet.stderr()).toBe("countersign explode: error: registry said no\n");
    const debug = memoryIo({ COUNTERSIGN_DEBUG: "1" });
    expect(await runCli(["explode"], debug.io, commands)).toBe(1);
    expect(debug.stderr()).toMatch(/\n\s+at /);
  });

  it("names an unknown command", async () => {
    const { io, stderr } = memoryIo();
    expect(await runCli(["sing"], io, commands)).toBe(2);
    expect(stderr()).toContain('unknown command "sing"');
  });
});
