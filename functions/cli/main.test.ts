import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type Command, type CommandEntry, parseCommandArgs, UsageError } from "./command.ts";
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
const echo: Command & CommandEntry = {
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
const failing: Command & CommandEntry = {
  name: "explode",
  summary: "fails",
  usage: "Usage: countersign explode",
  async run() {
    throw new Error("registry said no", { cause: new Error("inner") });
  },
};
const misused: Command & CommandEntry = {
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
      "countersign misuse: bad flag combination (see 'countersign misuse --help')\n",
    );

    const quiet = memoryIo();
    expect(await runCli(["explode"], quiet.io, commands)).toBe(1);
    expect(quiet.stderr()).toBe("countersign explode: error: registry said no\n");
    const debug = memoryIo({ COUNTERSIGN_DEBUG: "1" });
    expect(await runCli(["explode"], debug.io, commands)).toBe(1);
    expect(debug.stderr()).toMatch(/\n\s+at /);
  });

  it("answers option mistakes in one line of its own, without node:util's `--` advice", async () => {
    const cases: [string[], string][] = [
      [
        ["keys", "list", "--nope"],
        "countersign keys list: unknown option --nope: keys list takes --help, --plain-http, --long (see 'countersign keys list --help')\n",
      ],
      [
        ["keys", "list", "-x"],
        "countersign keys list: unknown option -x: keys list takes --help, --plain-http, --long (see 'countersign keys list --help')\n",
      ],
      [
        ["keys", "list", "--long=yes"],
        "countersign keys list: --long takes no value, got \"--long=yes\" (see 'countersign keys list --help')\n",
      ],
      [
        ["keys", "list", "extra"],
        "countersign keys list: keys list takes no arguments, got \"extra\" (see 'countersign keys list --help')\n",
      ],
    ];
    for (const [argv, expected] of cases) {
      const { io, stderr } = memoryIo();
      expect(await runCli(argv, io, commands)).toBe(2);
      expect(stderr()).toBe(expected);
    }
  });

  it("names the flag that needs a value", async () => {
    const valued: Command & CommandEntry = {
      name: "valued",
      summary: "takes --key",
      usage: "Usage: countersign valued --key K",
      async run(args, io) {
        return parseCommandArgs(this, args, io, { key: { type: "string" } }, []) ? 0 : 0;
      },
    };
    for (const argv of [
      ["valued", "--key"],
      ["valued", "--key", "--plain-http"],
    ]) {
      const { io, stderr } = memoryIo();
      expect(await runCli(argv, io, [valued])).toBe(2);
      expect(stderr()).toBe("countersign valued: --key needs a value (see 'countersign valued --help')\n");
    }
  });

  it("turns a file error nobody described into the path and the problem, in one line", async () => {
    const reading: Command & CommandEntry = {
      name: "read",
      summary: "reads a missing file",
      usage: "Usage: countersign read",
      async run() {
        await readFile("/nonexistent/countersign-test-file");
        return 0;
      },
    };
    const { io, stderr } = memoryIo();
    expect(await runCli(["read"], io, [reading])).toBe(1);
    expect(stderr()).toBe(
      "countersign read: error: /nonexistent/countersign-test-file: no such file or directory\n",
    );
  });

  it("names an unknown command", async () => {
    const { io, stderr } = memoryIo();
    expect(await runCli(["sing"], io, commands)).toBe(2);
    expect(stderr()).toContain('unknown command "sing"');
  });
});
