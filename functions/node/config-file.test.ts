// The configuration as `countersign serve` loads it: the README's example, the embedded defaults,
// one error per bad field (named by path), secrets resolved from env and files and never echoed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { inspect } from "node:util";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { configJsonSchema } from "../../lib/config/json-schema.ts";
import { ConfigError } from "../../lib/config/load.ts";
import { SecretValue } from "../../lib/config/secret.ts";
import { type LoadConfigOptions, loadConfig } from "./config-file.ts";

const EXAMPLE = resolve(import.meta.dirname, "../../examples/countersign.yaml");
const WEBHOOK_TOKEN = "webhook-token-4f1c9a7e2b";
const API_TOKEN = "api-token-0123456789abcdef";
const env = { COUNTERSIGN_WEBHOOK_TOKEN: WEBHOOK_TOKEN, COUNTERSIGN_API_TOKEN: API_TOKEN };

const dir = mkdtempSync(join(tmpdir(), "countersign-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function writeConfig(content: unknown, extension = "yaml"): string {
  const path = join(dir, `config-${files++}.${extension}`);
  writeFileSync(path, typeof content === "string" ? content : stringifyYaml(content));
  return path;
}

async function configError(path: string, options: LoadConfigOptions = { env }): Promise<ConfigError> {
  const error = await loadConfig(path, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

// biome-ignore lint/suspicious/noExplicitAny: tests mutate the document freely to break one field.
const example = () => parseYaml(readFileSync(EXAMPLE, "utf8")) as Record<string, any>;

describe("the example configuration", () => {
  it("loads, with its secrets resolved and its paths absolute", async () => {
    const config = await loadConfig(EXAMPLE, { env });
    expect(config.registries[0]).toMatchObject({
      host: "127.0.0.1:5000",
      plainHttp: true,
      profile: "distribution",
    });
    const [webhook] = config.webhooks;
    expect(webhook).toMatchObject({ name: "distribution", kind: "distribution", authenticated: true });
    expect(webhook?.settings).toEqual({ kind: "distribution", auth: { bearer: WEBHOOK_TOKEN } });
    expect(config.api.tokens.map((token) => token.reveal())).toEqual([API_TOKEN]);
    expect(config.api.githubOidc?.claims.repository).toEqual(["my-org/*"]);
    expect(config.dataDir).toBe(join(dirname(EXAMPLE), ".countersign"));
    expect(config.formats).toEqual(["notary", "cosign", "bundle"]);
    expect(config.queue).toEqual({
      concurrency: 4,
      maxAttempts: 5,
      attemptTimeoutMs: 90_000,
      drainMs: 10_000,
      backoff: { initialMs: 1000, maxMs: 60000, factor: 2 },
    });
  });

  it("never shows a resolved secret when printed or serialized", async () => {
    const config = await loadConfig(EXAMPLE, { env });
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: 20 }),
      String(config.api.tokens[0]),
    ]) {
      expect(text).not.toContain(WEBHOOK_TOKEN);
      expect(text).not.toContain(API_TOKEN);
    }
  });

  it("is valid against the JSON Schema, which rejects what the loader rejects structurally", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: its default export arrives as the function or wrapped, by loader.
    const addFormats = addFormatsModule as unknown as ((ajv: Ajv2020) => Ajv2020) & {
      default?: (ajv: Ajv2020) => Ajv2020;
    };
    (addFormats.default ?? addFormats)(ajv);
    const validate = ajv.compile(configJsonSchema());
    expect(validate(example()), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({})).toBe(true);
    expect(validate({ regsitries: [] })).toBe(false);
    expect(validate({ webhooks: [{ name: "x", kind: "gitlab", settings: {} }] })).toBe(false);
    expect(validate({ server: { port: "8080" } })).toBe(false);
    expect(validate({ api: { tokens: [{ env: "A", file: "b" }] } })).toBe(false);
  });
});

describe("embedded defaults", () => {
  it("are what no file and an empty file mean", async () => {
    const none = await loadConfig(undefined, { env: {}, cwd: dir });
    const empty = await loadConfig(writeConfig(""), { env: {} });
    const comments = await loadConfig(writeConfig("# nothing here\n"), { env: {} });
    expect(empty).toEqual(none);
    expect(comments).toEqual(none);
    expect(none.registries.map((r) => r.host)).toEqual(["127.0.0.1:*", "localhost:*", "[::1]:*"]);
    expect(none.webhooks).toEqual([
      {
        name: "distribution",
        kind: "distribution",
        authenticated: false,
        registries: ["127.0.0.1:*", "localhost:*", "[::1]:*"],
      },
    ]);
    expect(none.signer).toEqual({});
    expect(none.formats).toEqual(["notary", "cosign", "bundle"]);
    expect(none.dataDir).toBe(join(dir, ".countersign"));
    expect(none.server).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(none.api.tokens).toEqual([]);
  });
});

// biome-ignore lint/suspicious/noExplicitAny: as above.
type Mutation = (config: Record<string, any>) => void;

describe("a bad field", () => {
  it.each<[string, Mutation]>([
    ["registries[0].host", (c) => (c.registries[0].host = "127.0.0.1:5000/v2")],
    ["registries[0].host", (c) => (c.registries[0].host = "registry.example.com:*")],
    ["registries[1].host", (c) => c.registries.push({ host: "127.0.0.1:5000" })],
    ["registries[0].profile", (c) => (c.registries[0].profile = "nexus")],
    ["registries[0].plainHttp", (c) => (c.registries[0].plainHttp = "yes")],
    ["registries[0].repositories[1]", (c) => (c.registries[0].repositories[1] = "team//app")],
    ["registries[0].credentials.password", (c) => (c.registries[0].credentials = { username: "ci" })],
    ["registries[0].colour", (c) => (c.registries[0].colour = "blue")],
    ["webhooks[0].name", (c) => (c.webhooks[0].name = "Has Space")],
    ["webhooks[0].kind", (c) => (c.webhooks[0].kind = "gitlab")],
    ["webhooks[0].settings.auth", (c) => (c.webhooks[0].settings.auth = 42)],
    [
      "webhooks[0].settings.auth",
      (c) => Object.assign(c.webhooks[0], { registries: ["ghcr.io"], settings: { auth: "none" } }),
    ],
    ["webhooks[0].registries[0]", (c) => (c.webhooks[0].registries = ["not a host"])],
    ["webhooks[1].name", (c) => c.webhooks.push({ ...c.webhooks[0] })],
    [
      "webhooks[1].settings.token",
      (c) => c.webhooks.push({ name: "hub", kind: "dockerhub", settings: { token: "short" } }),
    ],
    ["webhooks[1].settings.secret", (c) => c.webhooks.push({ name: "gh", kind: "github", settings: {} })],
    ["signer.key", (c) => (c.signer = { key: "awskms://" })],
    ["signer.key", (c) => (c.signer = { key: "gcpkms://projects/p/keys/k" })],
    ["formats[1]", (c) => (c.formats = ["notary", "pgp"])],
    ["formats", (c) => (c.formats = [])],
    ["formats", (c) => (c.formats = ["cosign", "cosign"])],
    ["policy.tags.include[0]", (c) => (c.policy.tags.include = [""])],
    ["policy.signIndexChildren", (c) => (c.policy.signIndexChildren = "no")],
    ["api.tokens[0]", (c) => (c.api.tokens = ["too-short"])],
    ["api.githubOidc.claims.repository", (c) => (c.api.githubOidc.claims = {})],
    ["api.githubOidc.issuer", (c) => (c.api.githubOidc.issuer = "not a url")],
    ["server.port", (c) => (c.server.port = 70000)],
    ["queue.concurrency", (c) => (c.queue.concurrency = 0)],
    ["queue.backoff.maxMs", (c) => (c.queue.backoff = { initialMs: 5000, maxMs: 10 })],
    ["dataDir", (c) => (c.dataDir = "")],
    ["regsitries", (c) => (c.regsitries = [])],
  ])("names %s", async (path, mutate) => {
    const config = example();
    mutate(config);
    const error = await configError(writeConfig(config));
    expect(error.issues.map((issue) => issue.path)).toContain(path);
    expect(error.message).toContain(`${path}: `);
  });

  it("names every bad field at once", async () => {
    const config = example();
    config.server.port = -1;
    config.registries[0].host = "bad host";
    const error = await configError(writeConfig(config));
    expect(error.issues.map((i) => i.path).sort()).toEqual(["registries[0].host", "server.port"]);
  });

  it("reports a syntax error by position, without quoting the line", async () => {
    const error = await configError(writeConfig('api:\n  tokens: ["literal-secret-value-123\n'));
    expect(error.message).toMatch(/line \d+, column \d+/);
    expect(error.message).not.toContain("literal-secret-value-123");
  });

  it("reports a missing file in one line naming it", async () => {
    const missing = join(dir, "missing.yaml");
    const error = await configError(missing);
    expect(error.message).toBe(`${missing}: (root): cannot read the file: no such file or directory`);
  });

  it("reads a .json file as strict JSON: a trailing comma is an error, not YAML", async () => {
    const path = writeConfig('{\n  "formats": ["notary", "cosign"],\n}\n', "json");
    const error = await configError(path);
    expect(error.message).toBe(`${path}: (root): not valid JSON: at line 3, column 1`);
  });

  it("reports a truncated .json file as ending early, not as YAML indentation", async () => {
    const path = writeConfig('{"api": {"tokens": ["a-secret-token-that-must-not-show', "json");
    const error = await configError(path);
    expect(error.message).toBe(`${path}: (root): not valid JSON: the file ends early (truncated?)`);
    expect(error.message).not.toContain("a-secret-token");
  });

  it("names the kind of YAML error in words", async () => {
    const path = writeConfig("server:\n  port: 1\n port: 2\n");
    const error = await configError(path);
    expect(error.message).toMatch(
      new RegExp(`^${path}: \\(root\\): not valid YAML: [a-z ]+ at line 3, column \\d+`),
    );
  });

  it("reads JSON too", async () => {
    const config = await loadConfig(writeConfig(JSON.stringify(example()), "json"), { env });
    expect(config.registries[0]?.host).toBe("127.0.0.1:5000");
  });
});

describe("secrets", () => {
  it("come from files relative to the configuration, without the trailing newline", async () => {
    writeFileSync(join(dir, "registry-password"), "s3cret-from-file\n");
    writeFileSync(join(dir, "github-secret"), "gh-secret-from-file\r\n");
    const config = example();
    config.registries[0].credentials = { username: "ci", password: { file: "registry-password" } };
    config.webhooks.push({ name: "github", kind: "github", settings: { secret: { file: "github-secret" } } });
    const loaded = await loadConfig(writeConfig(config), { env });
    expect(loaded.registries[0]?.credentials?.password).toBeInstanceOf(SecretValue);
    expect(loaded.registries[0]?.credentials?.password.reveal()).toBe("s3cret-from-file");
    expect(loaded.webhooks[1]?.settings).toEqual({ kind: "github", secret: "gh-secret-from-file" });
  });

  it("name the missing variable or file, never a value", async () => {
    const literal = "literal-api-token-0987654321";
    const config = example();
    config.api.tokens = [literal, { env: "NOT_SET_ANYWHERE" }];
    config.registries[0].credentials = { username: "ci", password: { file: "no-such-secret" } };
    config.registries[0].credentials.pasword = "misplaced-secret-value";
    const error = await configError(writeConfig(config), {
      env: { COUNTERSIGN_WEBHOOK_TOKEN: WEBHOOK_TOKEN },
    });
    expect(error.message).toContain("api.tokens[1]: environment variable NOT_SET_ANYWHERE is not set");
    expect(error.message).not.toContain("COUNTERSIGN_API_TOKEN");
    expect(error.message).toMatch(
      /registries\[0\]\.credentials\.password: cannot read secret file "no-such-secret" \(ENOENT\)/,
    );
    expect(error.message).toContain("registries[0].credentials.pasword: unknown field");
    for (const secret of [literal, "misplaced-secret-value", WEBHOOK_TOKEN])
      expect(error.message).not.toContain(secret);
  });

  it("that fail the source's own rules are reported without their value", async () => {
    const config = example();
    config.webhooks.push({ name: "quay", kind: "quay", settings: { token: { env: "SHORT_TOKEN" } } });
    const error = await configError(writeConfig(config), { env: { ...env, SHORT_TOKEN: "tiny-secret" } });
    expect(error.message).toContain("webhooks[1].settings.token:");
    expect(error.message).not.toContain("tiny-secret");
  });
});
