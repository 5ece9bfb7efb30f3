// Every CLI command. Adding one: a file under commands/ exporting a Command, and one line here.
import type { Command } from "../command.ts";
import { configCommands } from "./config.ts";
import { copyCommand } from "./copy.ts";
import { discover } from "./discover.ts";
import { keysCommands } from "./keys.ts";
import { manifestGet } from "./manifest-get.ts";
import { serveCommand } from "./serve.ts";
import { signCommand } from "./sign.ts";
import { verifyCommand } from "./verify.ts";

export const commands: readonly Command[] = [
  manifestGet,
  discover,
  copyCommand,
  ...configCommands,
  ...keysCommands,
  signCommand,
  verifyCommand,
  serveCommand,
];
