// The npm package as people get it (issue 14 item 3): `npm pack` builds JavaScript and declarations, the
// tarball installs into an empty project from the npm registry, `npx countersign --help` runs on Node 24,
// an older Node gets one line saying which version is needed, and the documented library entry points
// import at run time and type-check in a consumer's TypeScript. The checkout is not written to: the
// package is built from a copy of its sources.
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN_DIR = join(ROOT, "node_modules/.bin");
// The project's Node 24 first on PATH, so that npm, npx and the installed bin all run on it.
const PATH = `${BIN_DIR}:${process.env.PATH}`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const started = performance.now();
  return new Promise<Run>((done) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, PATH, ...env }, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ code, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - started });
      },
    );
  });
}

let work: string;
let tarball: string;
let project: string;
let packageJson: { exports: Record<string, unknown>; bin: Record<string, string>; files: string[] };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-package-"));
  // A copy of what `npm pack` reads, with the checkout's node_modules for the build's tsc.
  const source = join(work, "source");
  await mkdir(source);
  for (const entry of [
    "package.json",
    "tsconfig.json",
    "tsconfig.build.json",
    "README.md",
    "bin",
    "lib",
    "functions",
    "examples",
  ]) {
    await cp(join(ROOT, entry), join(source, entry), { recursive: true });
  }
  await symlink(join(ROOT, "node_modules"), join(source, "node_modules"));
  packageJson = JSON.parse(await readFile(join(source, "package.json"), "utf8"));
  const packed = await run("npm", ["pack", "--json", "--pack-destination", work], source);
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  tarball = join(work, info!.filename);
  files = info!.files.map((file) => file.path);
  console.log(
    `npm pack: ${(packed.ms / 1000).toFixed(1)} s, ${(info!.size / 1024).toFixed(0)} KiB, ${files.length} files`,
  );

  project = join(work, "project");
  await mkdir(project);
  await writeFile(
    join(project, "package.json"),
    '{ "name": "consumer", "private": true, "type": "module" }\n',
  );
  const installed = await run("npm", ["install", "--no-audit", "--no-fund", tarball], project);
  expect(installed.code, installed.stderr).toBe(0);
  console.log(`npm install of the tarball into an empty project: ${(installed.ms / 1000).toFixed(1)} s`);
}, 480_000);

let files: string[] = [];

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds built JavaScript with declarations, the bin and the examples, and no sources or tests", () => {
    expect(files).toEqual(
      expect.arrayContaining(["bin/countersign.mjs", "dist/functions/cli/main.js", "examples/registry.yml"]),
    );
    for (const target of Object.values(packageJson.exports)) {
      if (typeof target === "string") continue;
      const { types, default: code } = target as { types: string; default: string };
      expect(files).toContain(types.replace(/^\.\//, ""));
      expect(files).toContain(code.replace(/^\.\//, ""));
    }
    expect(files.filter((path) => path.endsWith(".ts") && !path.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((path) => /test/.test(path))).toEqual([]);
  });

  it("runs `npx countersign --help` on Node 24", async () => {
    const help = await run("npx", ["countersign", "--help"], project);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: countersign <command> \[options\]/);
    expect(help.stdout).toContain("serve");
    console.log(`npx countersign --help: ${(help.ms / 1000).toFixed(1)} s`);
    const generated = await run("npx", ["countersign", "keys", "generate"], project);
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("says in one line which Node it needs on an older one", async () => {
    // Node 20 as process.versions reports it, the one fact the bin reads: no second Node needed here.
    const older = "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.19.0'})";
    const bin = join(project, "node_modules/.bin/countersign");
    const result = await run(process.execPath, ["--import", older, bin, "--help"], project);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `countersign: needs Node.js 24 or later; ${process.execPath} is Node.js 20.19.0\n`,
    );
  });

  it("offers the documented library entry points, at run time and to TypeScript", async () => {
    const consumer = `
import { RegistryClient, parseReference, copy, OciLayout } from "countersign/registry";
import { LocalSigner, KmsSigner, signSubject, createNotaryCertificate, type Signer } from "countersign/signing";
import { verifySubject, signatureFormats, type FormatReport } from "countersign/verification";
import { openSigner, loadDockerCredentials, createPooledFetch } from "countersign/node";
import * as everything from "countersign";

const signer: Signer = await LocalSigner.generate("ES256");
const reference = parseReference("127.0.0.1:5000/team/app:v1");
const repository = new RegistryClient(reference.registry).repository(reference.repository);
const reports: FormatReport[] = [];
const names: string[] = signatureFormats.map((format) => format.name);
console.log(JSON.stringify({
  keyId: signer.keyId.length > 0,
  repository: repository.name,
  formats: names,
  functions: [copy, OciLayout, KmsSigner, signSubject, createNotaryCertificate, verifySubject, openSigner,
    loadDockerCredentials, createPooledFetch, everything.verifySubject, everything.RegistryClient]
    .map((f) => typeof f),
  reports: reports.length,
}));
`;
    await writeFile(join(project, "consumer.ts"), consumer);
    const ran = await run(process.execPath, ["consumer.ts"], project);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({
      keyId: true,
      repository: "127.0.0.1:5000/team/app",
      formats: ["notary", "cosign", "bundle"],
      functions: Array(11).fill("function"),
      reports: 0,
    });
    // The consumer's own compiler, against the package's declarations (skipLibCheck off: they are checked too).
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2024",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          lib: ["ES2024", "DOM"],
          typeRoots: [join(ROOT, "node_modules/@types")],
          types: ["node"],
        },
        files: ["consumer.ts", "readme-example.ts"],
      }),
    );
    // The README's Library example, as written, with the one value it leaves to the reader declared.
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const library = readme.slice(readme.indexOf("## Library"));
    const example = /```ts\n([\s\S]*?)```/.exec(library)?.[1];
    expect(example, "README's Library section has a ts example").toBeDefined();
    await writeFile(join(project, "readme-example.ts"), `declare const publicKeyPem: string;\n${example}`);
    const checked = await run(join(BIN_DIR, "tsc"), ["-p", "."], project);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect((await stat(join(project, "node_modules/countersign/dist/lib/package/index.d.ts"))).isFile()).toBe(
      true,
    );
  });
});
