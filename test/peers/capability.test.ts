// Referrers capability on a registry whose API is switched off: olareg with --api-referrer=false answers
// 405, not 404. Countersign takes anything but a 200 OCI index as "no API" and writes the tag schema;
// the peers' own rules then decide who can read it, and these tests pin what each does.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { startRegistryKind } from "./registries.ts";
import { explain } from "./tools.ts";
import { cosignPayloads, createWorkspace, type PeerKey, type PeerWorkspace } from "./workspace.ts";

let workspace: PeerWorkspace;
let registry: RunningRegistry;
let image: BuiltImage;
let ref: string;
let key: PeerKey;
let trust: Record<string, string>;

beforeAll(async () => {
  workspace = await createWorkspace();
  registry = await startRegistryKind("olareg", { referrersApi: false });
  image = await buildImage({ layers: 1 });
  await pushImage(image.dir, `${registry.host}/noapi/app:v1`, { tag: image.tag });
  ref = `${registry.host}/noapi/app@${image.manifest.digest}`;
  key = await workspace.localKey("key", "ES256");
  const signed = await workspace.countersign(["sign", ref, "--key", key.key, "--data-dir", key.dataDir]);
  expect(signed.code, explain(signed)).toBe(0);
  trust = await workspace.notationTrust("key", [key.certificateFile]);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  await image?.cleanup();
  await workspace?.remove();
});

it("olareg answers the referrers API with 405 when it is off", async () => {
  const response = await fetch(`${registry.url}/v2/noapi/app/referrers/${image.manifest.digest}`);
  expect(response.status).toBe(405);
});

it("countersign writes the tag-schema index there and verifies all three formats through it", async () => {
  const response = await fetch(`${registry.url}/v2/noapi/app/tags/list`);
  const { tags } = (await response.json()) as { tags: string[] };
  expect(tags).toContain(`sha256-${image.manifest.digest.slice("sha256:".length)}`);
  const run = await workspace.countersign([
    "verify",
    ref,
    "--key",
    key.publicKeyFile,
    "--trust-store",
    key.dataDir,
  ]);
  expect(run.code, explain(run)).toBe(0);
});

it("regctl reads the tag schema after the 405", async () => {
  const run = await workspace.ok("regctl", [
    "--host",
    `reg=${registry.host},tls=disabled`,
    "artifact",
    "list",
    "--format",
    "{{jsonPretty .}}",
    ref,
  ]);
  const types = (JSON.parse(run.stdout) as { descriptors: Array<{ artifactType: string }> }).descriptors.map(
    (d) => d.artifactType,
  );
  expect(types.sort()).toEqual([
    "application/vnd.cncf.notary.signature",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
  ]);
});

it("cosign v3 cannot see the bundle (its referrers lookup fails on 405) and verifies the .sig signature instead", async () => {
  const run = await workspace.ok("cosign-v3", [
    "verify",
    "--key",
    key.publicKeyFile,
    "--insecure-ignore-tlog",
    "--allow-http-registry",
    ref,
  ]);
  expect(cosignPayloads(run).map((p) => p.critical.type)).toEqual(["cosign container image signature"]);
});

it("notation and oras refuse: oras-go falls back to the tag schema on 404 only", async () => {
  const notation = await workspace.peer("notation", ["verify", "--insecure-registry", ref], trust);
  expect(notation.code, explain(notation)).not.toBe(0);
  expect(notation.stderr).toMatch(/405/);
  const oras = await workspace.peer("oras", ["discover", "--plain-http", "--format", "json", ref]);
  expect(oras.code, explain(oras)).not.toBe(0);
  expect(oras.stderr).toMatch(/not allowed|unsupported/i);
});
