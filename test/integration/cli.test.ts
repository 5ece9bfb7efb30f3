// The countersign CLI run as a child process (bin/countersign.mjs on the project's Node 24) against a
// real registry: stdout, stderr and exit codes as a user sees them.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { runCountersign } from "../support/cli.ts";
import { pushArtifact } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildImage, type PushedIndex, pushImage, pushMultiArchIndex } from "../support/registry/images.ts";

// The project's own Node 24 (the `node` dev dependency), whatever Node runs the tests.
const PASSWORD = "s3cret-pa55word";

let work: string;
let registry: RunningRegistry;
let secured: RunningRegistry;
let image: Descriptor;
let multi: PushedIndex;
let signature: Descriptor;
let emptyDockerConfig: string;

async function cli(args: readonly string[], env: Record<string, string> = {}) {
  const run = await runCountersign(args, {
    cwd: work,
    dockerConfig: emptyDockerConfig,
    env,
    timeoutMs: 60_000,
  });
  return { ...run, stdout: run.bytes };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-cli-"));
  emptyDockerConfig = join(work, "no-docker-config");
  [registry, secured] = await Promise.all([
    startRegistry(),
    startRegistry({ auth: { kind: "htpasswd", users: { alice: PASSWORD } } }),
  ]);
  const built = await buildImage({ layers: 3 });
  try {
    await pushImage(built.dir, `${registry.host}/team/app:v1`);
    await pushImage(built.dir, `${secured.host}/team/app:v1`, { credentials: `alice:${PASSWORD}` });
    image = built.manifest;
  } finally {
    await built.cleanup();
  }
  multi = await pushMultiArchIndex(registry.host, "team/multi:v1", ["linux/amd64", "linux/arm64/v8"]);
  const repository = new RegistryClient(registry.host).repository("team/app");
  const pushed = await pushArtifact(repository, { subject: image, artifactType: MediaType.NotarySignature });
  await repository.addReferrer(image, pushed.descriptor, pushed.manifest);
  signature = pushed.descriptor;
}, 120_000);

afterAll(async () => {
  await Promise.all([registry?.stop(), secured?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("countersign CLI", () => {
  it("lists its commands with --help, and asks for one without arguments", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/manifest get .*\n.*discover .*\n.*copy /);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: countersign <command>");
    const copyHelp = await cli(["copy", "--help"]);
    expect(copyHelp.code).toBe(0);
    expect(copyHelp.stdout.toString()).toContain("--referrers");
  });

  it("prints a manifest byte for byte, and a platform's manifest from an index", async () => {
    const got = await cli(["manifest", "get", `${registry.host}/team/app:v1`]);
    expect(got.code).toBe(0);
    expect(sha256(got.stdout)).toBe(image.digest);

    const arm = multi.manifests.find((m) => m.platform === "linux/arm64/v8")!;
    const platform = await cli([
      "manifest",
      "get",
      `${registry.host}/team/multi:v1`,
      "--platform",
      "linux/arm64",
    ]);
    expect(platform.code).toBe(0);
    expect(sha256(platform.stdout)).toBe(arm.digest);
  });

  it("discovers referrers through the fallback index, as a tree and as JSON", async () => {
    const tree = await cli(["discover", `${registry.host}/team/app:v1`]);
    expect(tree.code).toBe(0);
    expect(tree.stdout.toString()).toBe(
      `${registry.host}/team/app@${image.digest}\n└── ${MediaType.NotarySignature} ${signature.digest}\n`,
    );
    const json = await cli(["discover", "--json", `${registry.host}/team/app@${image.digest}`]);
    const parsed = JSON.parse(json.stdout.toString());
    expect(parsed.subject.digest).toBe(image.digest);
    expect(parsed.referrers.map((r: Descriptor) => r.digest)).toEqual([signature.digest]);
    const filtered = await cli([
      "discover",
      "--json",
      "--artifact-type",
      "application/other",
      `${registry.host}/team/app:v1`,
    ]);
    expect(JSON.parse(filtered.stdout.toString()).referrers).toEqual([]);
  });

  it("copies with referrers into an OCI layout and back, printing where the image went", async () => {
    const dir = join(work, "exported");
    const exported = await cli(["copy", "--referrers", `${registry.host}/team/app:v1`, `oci-layout:${dir}`]);
    expect(exported.code).toBe(0);
    expect(exported.stdout.toString()).toBe(`oci-layout:${dir}@${image.digest}\n`);
    // stderr is not a terminal here: one plain line per item.
    expect(exported.stderr).toMatch(/^blob sha256:[0-9a-f]{64} copied /m);
    expect(exported.stderr).toMatch(/^manifest sha256:[0-9a-f]{64} copied .* \[referrer\]$/m);
    expect(exported.stderr).toMatch(/copied 2 manifests and \d+ blobs/);

    const local = await cli(["discover", `oci-layout:${dir}:v1`]);
    expect(local.stdout.toString()).toContain(signature.digest);

    const back = await cli(["copy", "--referrers", `oci-layout:${dir}:v1`, `${registry.host}/imported/app`]);
    expect(back.code).toBe(0);
    expect(back.stdout.toString()).toBe(`${registry.host}/imported/app@${image.digest}\n`);
    const discovered = await cli(["discover", `${registry.host}/imported/app:v1`]);
    expect(discovered.stdout.toString()).toContain(signature.digest);

    const filtered = await cli([
      "copy",
      "--platform",
      "linux/amd64",
      `${registry.host}/team/multi:v1`,
      `${registry.host}/team/multi-amd64:v1`,
    ]);
    expect(filtered.code).toBe(0);
    const index = JSON.parse(
      (await cli(["manifest", "get", `${registry.host}/team/multi-amd64:v1`])).stdout.toString(),
    );
    expect(index.manifests.map((m: Descriptor) => m.platform?.architecture)).toEqual(["amd64"]);
  });

  it("answers usage errors with exit code 2 and a pointer to --help", async () => {
    const cases = [
      ["copy", `${registry.host}/team/app:v1`],
      ["manifest", "get", `${registry.host}/team/app:v1`, "--bogus"],
      ["copy", "a/b", "c/d", "--concurrency", "zero"],
      ["manifest", "get", `${registry.host}/team/multi:v1`, "--platform", "linux"],
      ["copy", `${registry.host}/team/app:v1`, `${registry.host}/x/y@${image.digest}`],
      ["frobnicate"],
      ["manifest", "put"],
    ];
    const results = await Promise.all(cases.map((args) => cli(args)));
    for (const [i, result] of results.entries()) {
      expect(result.code, cases[i]!.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/countersign/);
      expect(result.stdout.length).toBe(0);
      noStackTrace(result.stderr);
    }
  });

  it("rejects hostile references with a clear message before any request", async () => {
    const cases: [string, RegExp][] = [
      [`${registry.host}/team/../../etc/passwd`, /invalid path component "\.\."/],
      [`${registry.host}/team/app:v1\nX-Injected: 1`, /whitespace or control characters/],
      [`${registry.host}/${"a".repeat(5000)}`, /longer than 1024 characters/],
      [`${registry.host}/team/app@sha256:${"z".repeat(64)}`, /lowercase hexadecimal/],
      [`${registry.host}/Team/App`, /must be lowercase/],
      ["oci-layout:", /the directory is empty/],
      [`oci-layout:${work}@sha256:1234`, /sha256 needs 64 hex characters/],
    ];
    const results = await Promise.all(cases.map(([reference]) => cli(["manifest", "get", reference])));
    for (const [i, result] of results.entries()) {
      const [reference, message] = cases[i]!;
      expect(result.code, reference.slice(0, 80)).toBe(2);
      expect(result.stderr).toMatch(message);
      noStackTrace(result.stderr);
    }
  });

  it("fails with exit code 1 and one line for a missing manifest", async () => {
    const result = await cli(["manifest", "get", `${registry.host}/team/app:missing`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^countersign manifest get: error: .*404.*MANIFEST_UNKNOWN/);
    noStackTrace(result.stderr);
  });

  it("reads credentials from DOCKER_CONFIG, and never prints them", async () => {
    const reference = `${secured.host}/team/app:v1`;
    const anonymous = await cli(["manifest", "get", reference]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/401/);

    const config = join(work, "docker");
    await mkdir(config, { recursive: true });
    const auth = Buffer.from(`alice:${PASSWORD}`).toString("base64");
    await writeFile(join(config, "config.json"), JSON.stringify({ auths: { [secured.host]: { auth } } }));
    const authenticated = await cli(["manifest", "get", reference], { DOCKER_CONFIG: config });
    expect(authenticated.code).toBe(0);
    expect(sha256(authenticated.stdout)).toBe(image.digest);

    await writeFile(
      join(config, "config.json"),
      JSON.stringify({
        auths: { [secured.host]: { auth: Buffer.from("alice:wrong-password").toString("base64") } },
      }),
    );
    const refused = await cli(["manifest", "get", reference], { DOCKER_CONFIG: config });
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toContain("wrong-password");
    expect(refused.stderr).not.toContain(PASSWORD);
    noStackTrace(refused.stderr);
  });
});
