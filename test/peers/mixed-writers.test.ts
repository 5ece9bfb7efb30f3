// Mixed writers on one subject of a registry without the referrers API (distribution 2.8): Countersign,
// `cosign sign` (bundle and `.sig`), `notation sign` and `oras attach`, interleaved. Every writer's entry
// stays in the `sha256-<hex>` fallback index and the `.sig` manifest, and each tool still verifies its own
// signature and ours.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { startRegistryKind } from "./registries.ts";
import { COSIGN_SIGN_OFFLINE, explain } from "./tools.ts";
import { cosignPayloads, createWorkspace, type PeerKey, type PeerWorkspace } from "./workspace.ts";

const NotaryType = "application/vnd.cncf.notary.signature";
const BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
const NoteType = "application/vnd.test.note";

let workspace: PeerWorkspace;
let registry: RunningRegistry;
let image: BuiltImage;
let ref: string;
let ours: PeerKey;
let oursToo: PeerKey;
let notationKey: Awaited<ReturnType<PeerWorkspace["notationTestKey"]>>;

interface Index {
  manifests: Array<{ digest: string; artifactType?: string }>;
}
interface SigManifest {
  layers: Array<{ digest: string; annotations?: Record<string, string> }>;
}

async function manifest<T>(reference: string, accept: string): Promise<T> {
  const response = await fetch(`${registry.url}/v2/mixed/app/manifests/${reference}`, {
    headers: { accept },
  });
  expect(response.status, reference).toBe(200);
  return (await response.json()) as T;
}

const hex = () => image.manifest.digest.slice("sha256:".length);
const fallbackIndex = () => manifest<Index>(`sha256-${hex()}`, "application/vnd.oci.image.index.v1+json");
const sigManifest = () =>
  manifest<SigManifest>(`sha256-${hex()}.sig`, "application/vnd.oci.image.manifest.v1+json");

beforeAll(async () => {
  workspace = await createWorkspace();
  registry = await startRegistryKind("distribution");
  image = await buildImage({ layers: 1 });
  await pushImage(image.dir, `${registry.host}/mixed/app:v1`, { tag: image.tag });
  ref = `${registry.host}/mixed/app@${image.manifest.digest}`;
  ours = await workspace.localKey("ours", "ES256");
  oursToo = await workspace.localKey("ours too", "PS384");
  await workspace.cosignKeyPair("peer");
  await workspace.cosignKeyPair("peer2");
  notationKey = await workspace.notationTestKey("peertest");
  await writeFile(join(workspace.dir, "note.txt"), "attached by oras\n");

  const cosign = (key: string, legacy: boolean) =>
    workspace.ok(
      "cosign-v3",
      ["sign", "--key", key, ...COSIGN_SIGN_OFFLINE, ...(legacy ? ["--new-bundle-format=false"] : []), ref],
      { COSIGN_PASSWORD: "" },
    );
  const countersign = async (key: PeerKey) => {
    const run = await workspace.countersign(["sign", ref, "--key", key.key, "--data-dir", key.dataDir]);
    expect(run.code, explain(run)).toBe(0);
  };
  // Interleaved: each writer reads what the one before it wrote and must keep it.
  await countersign(ours);
  await cosign("peer.key", false);
  await workspace.ok("notation", ["sign", "--insecure-registry", ref], notationKey.env);
  await cosign("peer.key", true);
  await workspace.ok("oras", [
    "attach",
    "--plain-http",
    "--artifact-type",
    NoteType,
    ref,
    "note.txt:text/plain",
  ]);
  await countersign(oursToo);
  await cosign("peer2.key", true);
  await cosign("peer2.key", false);
}, 180_000);

afterAll(async () => {
  await registry?.stop();
  await image?.cleanup();
  await workspace?.remove();
});

it("keeps every writer's referrer in the fallback index, once each", async () => {
  const { manifests } = await fallbackIndex();
  const count = (type: string) => manifests.filter((m) => m.artifactType === type).length;
  // Countersign ×2 and notation; Countersign ×2 and cosign ×2; oras.
  expect(count(NotaryType)).toBe(3);
  expect(count(BundleType)).toBe(4);
  expect(count(NoteType)).toBe(1);
  expect(manifests).toHaveLength(8);
  expect(new Set(manifests.map((m) => m.digest)).size).toBe(8);
});

it("keeps every writer's layer in the .sig manifest, once each", async () => {
  const { layers } = await sigManifest();
  // Countersign ×2 and cosign ×2, each with its own signature annotation.
  expect(layers).toHaveLength(4);
  const signatures = layers.map((l) => l.annotations?.["dev.cosignproject.cosign/signature"]);
  expect(new Set(signatures).size).toBe(4);
  // One payload for every key: the same layer digest, distinct signatures.
  expect(new Set(layers.map((l) => l.digest)).size).toBe(1);
});

it("cosign verifies its own bundle and .sig signatures and ours", async () => {
  const verify = (key: string, legacy: boolean) =>
    workspace.ok("cosign-v3", [
      "verify",
      "--key",
      key,
      "--insecure-ignore-tlog",
      "--allow-http-registry",
      ...(legacy ? ["--new-bundle-format=false"] : []),
      ref,
    ]);
  for (const key of ["peer.pub", "peer2.pub", ours.publicKeyFile]) {
    expect(cosignPayloads(await verify(key, false))).toHaveLength(1);
    expect(cosignPayloads(await verify(key, true))).toHaveLength(1);
  }
});

it("notation verifies its own signature and ours", async () => {
  // notation verify passes when any signature is trusted: one store per signer proves each.
  const theirs = await workspace.notationTrust("theirs", [notationKey.certificate]);
  const mine = await workspace.notationTrust("ours", [ours.certificateFile]);
  const mineToo = await workspace.notationTrust("ours-too", [oursToo.certificateFile]);
  for (const env of [theirs, mine, mineToo]) {
    const run = await workspace.ok("notation", ["verify", "--insecure-registry", ref], env);
    expect(run.stdout).toContain("Successfully verified signature");
  }
});

it("countersign verifies the peers' signatures and its own", async () => {
  for (const [key, store] of [
    ["peer.pub", notationKey.trustStore],
    [ours.publicKeyFile, ours.dataDir],
    [oursToo.publicKeyFile, oursToo.dataDir],
  ] as const) {
    const run = await workspace.countersign(["verify", ref, "--key", key, "--trust-store", store]);
    expect(run.code, explain(run)).toBe(0);
  }
  await expect(
    workspace.countersign(["verify", ref, "--key", "peer2.pub", "--format", "cosign"]),
  ).resolves.toMatchObject({
    code: 0,
  });
});
