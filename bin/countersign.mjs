#!/usr/bin/env -S node --max-semi-space-size=2
// The `countersign` executable. Written in syntax that old Node versions still parse (no top-level await,
// no TypeScript), so that on a Node it does not support it says so in one line instead of a stack trace.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Node 24 is the LTS line the package is built and tested for (node:sqlite, WebCrypto Ed25519/X25519,
// type stripping in a checkout); package.json's engines says the same.
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);
if (!(major >= REQUIRED_MAJOR)) {
  process.stderr.write(
    `countersign: needs Node.js ${REQUIRED_MAJOR} or later; ${process.execPath} is Node.js ${process.versions.node}\n`,
  );
  process.exit(1);
}

// The shebang keeps V8's young generation small: a copy streams gigabytes through short-lived chunks,
// and with the default (which grows to tens of MiB) the resident set rose by about 100 MiB on a 1 GiB
// copy; kept small it stays flat and the copy is faster too (bench/copy.ts). It must be given at start.

// In a checkout the TypeScript sources run as they are (Node strips the types), so an edit needs no build;
// the published package has no sources, only the JavaScript that `npm run build` emits into dist/.
const source = new URL("../functions/cli/main.ts", import.meta.url);
const entry = existsSync(fileURLToPath(source))
  ? source
  : new URL("../dist/functions/cli/main.js", import.meta.url);
import(entry.href).then(
  async ({ runCli }) => {
    process.exitCode = await runCli(process.argv.slice(2));
  },
  (error) => {
    process.stderr.write(`countersign: cannot load ${fileURLToPath(entry)}: ${error.message}\n`);
    process.exitCode = 1;
  },
);
