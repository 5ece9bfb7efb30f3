// Concurrent signers of one image on a registry without the referrers API (distribution 2.8, which
// ignores If-Match): separate `countersign sign` processes, each with its own key, all at once. Each
// read-modify-writes the same `sha256-<hex>` index and `.sig` tag; before the fix 38–87% of the
// signatures they reported were missing afterwards. A process now reports a signature only once a read
// made after its last write lists it, merging again what another process overwrote.
import { afterAll, beforeAll, expect, it } from "vitest";
import { explain } from "../peers/tools.ts";
import { createWorkspace, type PeerKey, type PeerWorkspace } from "../peers/workspace.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";

const PROCESSES = 10;

let workspace: PeerWorkspace;
let registry: RunningRegistry;
let image: BuiltImage;
const keys: PeerKey[] = [];

beforeAll(async () => {
  workspace = await createWorkspace();
  [registry, image] = await Promise.all([startRegistry(), buildImage({ layers: 1 })]);
  await pushImage(image.dir, `${registry.host}/race/app:v1`, { tag: image.tag });
  for (let i = 0; i < PROCESSES; i++) keys.push(await workspace.localKey(`key ${i}`, "ES256"));
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  await image?.cleanup();
  await workspace?.remove();
});

async function manifest<T>(tag: string, accept: string): Promise<T> {
  const response = await fetch(`${registry.url}/v2/race/app/manifests/${tag}`, { headers: { accept } });
  expect(response.status, tag).toBe(200);
  return (await response.json()) as T;
}

it(`${PROCESSES} processes signing one image at once: every reported signature is listed, once`, async () => {
  const ref = `${registry.host}/race/app@${image.manifest.digest}`;
  const runs = await Promise.all(
    keys.map((key) => workspace.countersign(["sign", ref, "--key", key.key, "--data-dir", key.dataDir])),
  );
  for (const run of runs) expect(run.code, explain(run)).toBe(0);
  const reported = runs.flatMap((run) =>
    run.stdout
      .split("\n")
      .filter((line) => line.includes("\tsigned: "))
      .map((line) => line.split("\tsigned: ")[1]),
  );
  expect(reported).toHaveLength(PROCESSES * 3);
  const hex = image.manifest.digest.slice("sha256:".length);
  const index = await manifest<{ manifests: Array<{ digest: string }> }>(
    `sha256-${hex}`,
    "application/vnd.oci.image.index.v1+json",
  );
  const listed = index.manifests.map((m) => m.digest);
  expect(listed).toHaveLength(PROCESSES * 2);
  expect(new Set(listed).size).toBe(PROCESSES * 2);
  const sig = await manifest<{ layers: Array<{ annotations: Record<string, string> }> }>(
    `sha256-${hex}.sig`,
    "application/vnd.oci.image.manifest.v1+json",
  );
  const signatures = sig.layers.map((l) => l.annotations["dev.cosignproject.cosign/signature"]);
  expect(signatures).toHaveLength(PROCESSES);
  expect(new Set(signatures).size).toBe(PROCESSES);
  // Every referrer a process reported is in the index (a `.sig` digest changes with each later write).
  const referrersReported = reported.filter((d) => d !== undefined && listed.includes(d));
  expect(referrersReported).toHaveLength(PROCESSES * 2);
}, 180_000);
