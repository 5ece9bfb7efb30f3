// Set-up on a fresh machine (issue 14 item 2): without the conformance data, a suite that needs it fails
// with one line naming the missing file and how to provide it, not a stack trace at load.
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function vitest(files: readonly string[], env: Record<string, string>) {
  return new Promise<{ code: number; output: string }>((done) => {
    execFile(
      join(ROOT, "node_modules/.bin/node"),
      [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--no-color", ...files],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe("the conformance data", () => {
  it("missing: each suite that needs it fails with one line saying what and how", async () => {
    const { code, output } = await vitest(
      ["test/vectors/cosign.test.ts", "test/integration/artifacts-schema.test.ts"],
      {
        COUNTERSIGN_SHARED: "/nonexistent/countersign-shared",
      },
    );
    expect(code).toBe(1);
    const lines = output.split("\n").filter((line) => line.includes("SharedDataMissingError"));
    expect(lines.sort()).toEqual([
      "SharedDataMissingError: conformance data missing: /nonexistent/countersign-shared/spec/image-spec-schema (COUNTERSIGN_SHARED is /nonexistent/countersign-shared; set it to the shared/ folder's path)",
      "SharedDataMissingError: conformance data missing: /nonexistent/countersign-shared/vectors/cosign-simplesigning-key-cimage-valid/manifest.json (COUNTERSIGN_SHARED is /nonexistent/countersign-shared; set it to the shared/ folder's path)",
    ]);
    // The line is all there is: no stack frames under it.
    expect(output).not.toMatch(/SharedDataMissingError.*\n\s*❯/);
  });
});
