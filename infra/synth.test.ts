import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const INFRA = import.meta.dirname;
const ROOT = path.resolve(INFRA, "..");
const CDK_CLI = path.join(ROOT, "node_modules", "aws-cdk", "bin", "cdk");
// The real Lambda adapter: the stack's default entry, named explicitly so the test says what it bundles.
const LAMBDA_ENTRY = path.join(ROOT, "functions", "lambda.ts");

type Exit = { code: number | null; stdout: string; stderr: string };

/** Async on purpose: the proxy trap below must keep accepting connections while the CLI runs. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let home: string;
let outdir: string;
let exit: Exit;
let trap: Server;
const trapped: string[] = [];

beforeAll(async () => {
  if (!existsSync(CDK_CLI)) throw new Error(`aws-cdk CLI missing at ${CDK_CLI}: run npm ci`);
  // Every HTTP(S) request the CLI or the AWS SDK makes goes through the proxy named in the
  // environment; this loopback listener records any that arrive. The synth must make none.
  trap = createServer((socket) => {
    socket.once("data", (data) => trapped.push(data.toString("latin1").split("\r\n")[0] ?? ""));
    socket.on("error", () => {});
    setTimeout(() => socket.destroy(), 50);
  });
  await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
  const address = trap.address();
  if (address === null || typeof address === "string") throw new Error("proxy trap has no port");
  const proxy = `http://127.0.0.1:${address.port}`;

  home = mkdtempSync(path.join(tmpdir(), "countersign-cdk-cli-"));
  outdir = path.join(home, "cdk.out");
  // A clean environment: no AWS credentials or profiles (with none, the CLI makes no STS call),
  // IMDS off, a fixed region (else the CLI asks IMDS), no version check, notices or telemetry,
  // and a HOME of our own so no ~/.cdk.json or cached state leaks in. NodejsFunction runs the local
  // esbuild through `npx --no-install`, and npm's update notifier would ask the npm registry for
  // npm's latest version (this trap caught exactly that CONNECT before the setting was added).
  const env: NodeJS.ProcessEnv = {
    PATH: [path.join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
    HOME: home,
    CDK_DISABLE_VERSION_CHECK: "true",
    CDK_DISABLE_CLI_TELEMETRY: "true",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: path.join(home, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "no-aws-credentials"),
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    HTTPS_PROXY: proxy,
    HTTP_PROXY: proxy,
    https_proxy: proxy,
    http_proxy: proxy,
  };
  // cwd infra/ so the CLI reads infra/cdk.json (`node app.ts`). `cdk synth` always bundles (the CLI
  // refuses user context under `aws:`), so this also runs esbuild, locally, on functions/lambda.ts.
  exit = await run(
    process.execPath,
    [
      CDK_CLI,
      "synth",
      "--quiet",
      "--no-notices",
      "--no-lookups",
      "-c",
      `countersign:lambdaEntry=${LAMBDA_ENTRY}`,
      "--output",
      outdir,
    ],
    { cwd: INFRA, env },
  );
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => trap?.close(() => resolve()));
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("cdk synth through the CLI", () => {
  it("exits 0 and writes a template with the signing key", () => {
    expect(exit.code, exit.stderr).toBe(0);
    const templatePath = path.join(outdir, "Countersign.template.json");
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, "utf8")) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const keys = Object.values(template.Resources).filter((r) => r.Type === "AWS::KMS::Key");
    expect(keys).toHaveLength(1);
    expect(keys[0]?.Properties).toMatchObject({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
  });

  it("sends no network request", () => {
    expect(trapped).toEqual([]);
  });

  it("bundles one minified ES module with a source map, deployed by both functions", async () => {
    const assets = readdirSync(outdir).filter((name) => name.startsWith("asset."));
    expect(assets).toHaveLength(1);
    const assetDir = path.join(outdir, assets[0]!);
    expect(readdirSync(assetDir).sort()).toEqual(["index.mjs", "index.mjs.map"]);

    const bundle = readFileSync(path.join(assetDir, "index.mjs"), "utf8");
    expect(bundle).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    // Minified: the adapter's comments and its formatting are gone.
    expect(bundle).not.toContain("Importing this module does nothing");
    expect(bundle).not.toMatch(/^\s*\/\/ /m);
    // Newlines survive only inside template literals of dependencies (the SDK's multi-line messages).
    const lines = bundle.split("\n");
    expect(bundle.length / lines.length).toBeGreaterThan(1000);
    const map = JSON.parse(readFileSync(path.join(assetDir, "index.mjs.map"), "utf8")) as {
      sources: string[];
    };
    expect(map.sources.some((source) => source.endsWith("functions/lambda.ts"))).toBe(true);
    // The whole adapter is in the bundle (the AWS SDK too: bundleAwsSDK), nothing is left to node_modules.
    expect(map.sources.some((source) => source.endsWith("lib/attach/job.ts"))).toBe(true);
    expect(map.sources.some((source) => source.includes("@aws-sdk/client-sqs"))).toBe(true);

    // An ES module exporting the two handler names the functions are configured with; importing it
    // does no work (the service is built at the first invocation), so this needs no AWS at all.
    const handlers = (await import(pathToFileURL(path.join(assetDir, "index.mjs")).href)) as Record<
      string,
      unknown
    >;
    expect(typeof handlers.http).toBe("function");
    expect(typeof handlers.sqs).toBe("function");

    const template = readFileSync(path.join(outdir, "Countersign.template.json"), "utf8");
    const hash = assets[0]!.slice("asset.".length);
    expect(template.split(`"${hash}.zip"`).length - 1).toBe(2);
  });
});
