#!/usr/bin/env node
// The `countersign` executable: Node 24 runs the TypeScript sources directly (type stripping).
import { runCli } from "../functions/cli/main.ts";

process.exitCode = await runCli(process.argv.slice(2));
