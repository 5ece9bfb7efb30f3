// What `countersign sign` asks of a registry with the referrers API (olareg), request by request: the
// subject once, its referrers once for every format's "already signed by this key?" (one listing answers
// notary and bundle alike), and nothing listed again before or after our own writes, the one read-back of
// cosign's shared `.sig` tag aside (the referrers API needs none: each referrer is a manifest of its own).
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { startRegistryKind } from "./registries.ts";
import { explain } from "./tools.ts";
import { createWorkspace, type PeerKey, type PeerWorkspace } from "./workspace.ts";

let workspace: PeerWorkspace;
let registry: RunningRegistry;
let proxy: FaultProxy;
let image: BuiltImage;
let key: PeerKey;

beforeAll(async () => {
  workspace = await createWorkspace();
  registry = await startRegistryKind("olareg");
  proxy = await startFaultProxy(registry.url);
  image = await buildImage({ layers: 1 });
  key = await workspace.localKey("key", "ES256");
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await image?.cleanup();
  await workspace?.remove();
});

const signAll = (ref: string) =>
  workspace.countersign([
    "sign",
    ref,
    "--key",
    key.key,
    "--data-dir",
    key.dataDir,
    ...["notary", "cosign", "bundle"].flatMap((f) => ["--format", f]),
  ]);

/** `METHOD kind` per request: manifests by digest or tag, referrers, blobs and uploads. */
function shape(method: string, path: string): string {
  if (path.includes("/referrers/")) return `${method} referrers`;
  if (path.includes("/blobs/uploads/")) return `${method} upload`;
  if (path.includes("/blobs/")) return `${method} blob`;
  if (/\/manifests\/sha256-[0-9a-f]{64}\.sig$/.test(path)) return `${method} .sig tag`;
  if (path.includes("/manifests/sha256:")) return `${method} manifest by digest`;
  return `${method} ${path}`;
}

it("a fresh image in three formats: one subject GET, one referrers listing, 13 requests in all", async () => {
  await pushImage(image.dir, `${registry.host}/cli/fresh:v1`, { tag: image.tag });
  proxy.clear();
  const run = await signAll(`${proxy.host}/cli/fresh@${image.manifest.digest}`);
  expect(run.code, explain(run)).toBe(0);
  const asked = proxy.requests.map((r) => shape(r.method, r.path));
  expect(asked.filter((a) => a === "GET referrers")).toHaveLength(1);
  expect(asked.filter((a) => a === "GET manifest by digest")).toHaveLength(1);
  // Three signature manifests and the `.sig` tag written; the tag read before the write and once after.
  expect(asked.filter((a) => a === "PUT manifest by digest")).toHaveLength(2);
  expect(asked.filter((a) => a === "PUT .sig tag")).toHaveLength(1);
  expect(asked.filter((a) => a === "GET .sig tag")).toHaveLength(2);
  expect(asked, asked.join("\n")).toHaveLength(13);
});

it("signed again by the same key: the listing and the `.sig` tag answer, nothing is written", async () => {
  await pushImage(image.dir, `${registry.host}/cli/again:v1`, { tag: image.tag });
  const ref = `${proxy.host}/cli/again@${image.manifest.digest}`;
  expect((await signAll(ref)).code).toBe(0);
  proxy.clear();
  const run = await signAll(ref);
  expect(run.code, explain(run)).toBe(0);
  expect(run.stdout.match(/already signed by/g)).toHaveLength(3);
  expect(proxy.requests.map((r) => shape(r.method, r.path)).sort()).toEqual(
    ["GET manifest by digest", "GET referrers", "GET .sig tag"].sort(),
  );
});
