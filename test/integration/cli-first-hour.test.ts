// What a new user meets in the CLI's first hour (issue 14): `discover` shows every signature attached,
// the cosign `.sig` tag included, and every mistake on a command line is answered in one line that
// names the file, flag or field and what was expected. Child processes on Node 24, a real registry.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import { runCountersign } from "../support/cli.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage } from "../support/registry/images.ts";

let work: string;
let registry: RunningRegistry;
let image: Descriptor;

function cli(args: readonly string[]) {
  return runCountersign(args, { cwd: work, timeoutMs: 60_000 });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-first-hour-"));
  await mkdir(join(work, "docker"));
  await writeFile(join(work, "docker", "config.json"), "{}");
  registry = await startRegistry();
  image = await buildAndPushImage(`${registry.host}/team/app:v1`, { layers: 1 });
  const generated = await cli(["keys", "generate", "--out", "key.pem"]);
  expect(generated.code, generated.stderr).toBe(0);
  await writeFile(join(work, "key.pub"), generated.stdout);
  const signed = await cli(["sign", `${registry.host}/team/app:v1`, "--key", "key.pem"]);
  expect(signed.code, signed.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("discover", () => {
  it("shows all three signatures: two referrers and the cosign .sig tag", async () => {
    const tree = await cli(["discover", `${registry.host}/team/app:v1`]);
    expect(tree.code, tree.stderr).toBe(0);
    const lines = tree.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`${registry.host}/team/app@${image.digest}`);
    const sigTag = `${image.digest.replace(":", "-")}.sig`;
    // Referrers first (notary and bundle, in the registry's order), the tag last.
    expect(
      lines
        .slice(1, 3)
        .map((line) => line.split(" ")[1])
        .sort(),
    ).toEqual([MediaType.NotarySignature, "application/vnd.dev.sigstore.bundle.v0.3+json"]);
    expect(lines[3]).toMatch(new RegExp(`^└── ${sigTag} \\(cosign tag\\) sha256:[0-9a-f]{64}$`));
    expect(lines).toHaveLength(4);

    const json = await cli(["discover", "--json", `${registry.host}/team/app:v1`]);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as { referrers: (Descriptor & { tag?: string })[] };
    expect(parsed.referrers).toHaveLength(3);
    expect(parsed.referrers.filter((r) => r.tag === sigTag)).toEqual([
      expect.objectContaining({ mediaType: MediaType.OciManifest, tag: sigTag }),
    ]);
    // A filter asks for referrers of one artifact type: the tag is not one.
    const filtered = await cli([
      "discover",
      "--json",
      "--artifact-type",
      MediaType.NotarySignature,
      `${registry.host}/team/app:v1`,
    ]);
    expect((JSON.parse(filtered.stdout) as { referrers: unknown[] }).referrers).toHaveLength(1);
  });
});

describe("verify's trust store", () => {
  it("takes the data directory, private key and all, or the certificate file alone", async () => {
    for (const store of [".countersign", ".countersign/signing-cert.pem"]) {
      const result = await cli([
        "verify",
        `${registry.host}/team/app:v1`,
        "--key",
        "key.pub",
        "--trust-store",
        store,
      ]);
      expect(result.code, `${store}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/✓ notary/);
    }
  });

  it("names the file that is not a certificate, and the store without one", async () => {
    await mkdir(join(work, "broken"));
    await writeFile(
      join(work, "broken", "cert.pem"),
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    const broken = await cli([
      "verify",
      `${registry.host}/team/app:v1`,
      "--format",
      "notary",
      "--trust-store",
      "broken",
    ]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^countersign verify: --trust-store broken\/cert\.pem: .+\n$/);
    const keyOnly = await cli([
      "verify",
      `${registry.host}/team/app:v1`,
      "--format",
      "notary",
      "--trust-store",
      "key.pem",
    ]);
    expect(keyOnly.stderr).toBe(
      'countersign verify: --trust-store key.pem: no certificate found (expected PEM "CERTIFICATE" blocks)\n',
    );
    const none = await cli([
      "verify",
      `${registry.host}/team/app:v1`,
      "--format",
      "notary",
      "--trust-store",
      "/nodir",
    ]);
    expect(none.stderr).toBe("countersign verify: --trust-store /nodir: no such file or directory\n");
  });
});

describe("every error is one line naming what is wrong", () => {
  const ref = () => `${registry.host}/team/app:v1`;
  const cases: [string, () => string[], number, string | RegExp][] = [
    [
      "a missing --key file",
      () => ["verify", ref(), "--key", "missing.pem", "--format", "cosign"],
      2,
      "countersign verify: --key missing.pem: no such file or directory",
    ],
    [
      "a --key file that is no key",
      () => ["verify", ref(), "--key", "docker/config.json", "--format", "cosign"],
      2,
      "countersign verify: --key docker/config.json: no public key found (expected a PEM public key, a private key file, or awskms://…)",
    ],
    [
      "a missing private key for sign",
      () => ["sign", ref(), "--key", "missing.pem"],
      2,
      "countersign sign: --key missing.pem: cannot read the key file: no such file or directory",
    ],
    [
      "a missing --cert",
      () => ["sign", ref(), "--key", "key.pem", "--cert", "nocert.pem", "--format", "notary"],
      2,
      "countersign sign: --cert nocert.pem: no such file or directory",
    ],
    [
      "an OCI layout that is not there",
      () => ["discover", "oci-layout:/nolayout:v1"],
      2,
      "countersign discover: oci-layout:/nolayout:v1: not an OCI image layout: /nolayout (no such directory)",
    ],
    [
      "a folder that is not a layout",
      () => ["manifest", "get", "oci-layout:docker:v1"],
      2,
      "countersign manifest get: oci-layout:docker:v1: not an OCI image layout: docker (no oci-layout file in it)",
    ],
    [
      "an unknown option",
      () => ["discover", ref(), "--jsno"],
      2,
      "countersign discover: unknown option --jsno: discover takes --help, --plain-http, --artifact-type, --json (see 'countersign discover --help')",
    ],
    [
      "an unknown registry profile",
      () => ["sign", ref(), "--key", "key.pem", "--profile", "nope"],
      2,
      /^countersign sign: --profile nope: unknown registry profile "nope" \(known: distribution, .*\) \(see 'countersign sign --help'\)$/,
    ],
    [
      "an unknown format",
      () => ["verify", ref(), "--format", "pgp"],
      2,
      "countersign verify: --format pgp: unknown format (expected notary, cosign, bundle) (see 'countersign verify --help')",
    ],
    [
      "a key file that exists already",
      () => ["keys", "generate", "--out", "key.pem"],
      1,
      /^countersign keys generate: error: key\.pem: already exists \(never overwritten\)$/,
    ],
    [
      "a missing configuration file",
      () => ["config", "check", "nothere.yaml"],
      1,
      "nothere.yaml: (root): cannot read the file: no such file or directory",
    ],
  ];
  it("a port that is taken, for serve", async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, "127.0.0.1", done));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await cli(["serve", "--port", String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `countersign serve: 127.0.0.1:${port} is in use by another process (choose another with --port or server.port)\n`,
      );
    } finally {
      taken.close();
    }
  });

  for (const [what, argv, code, expected] of cases) {
    it(what, async () => {
      const result = await cli(argv());
      expect(result.code, result.stderr).toBe(code);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines, result.stderr).toHaveLength(1);
      if (typeof expected === "string") expect(lines[0]).toBe(expected);
      else expect(lines[0]).toMatch(expected);
    });
  }
});
