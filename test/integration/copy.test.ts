// copy() against a real distribution 2.8 registry, with images built by umoci and pushed by skopeo.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeLayoutFileSystem } from "../../functions/node/layout-fs.ts";
import { type CopyProgress, copy } from "../../lib/oci/copy/copy.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { OciLayout } from "../../lib/oci/layout/layout.ts";
import { children, parseManifest } from "../../lib/oci/manifest-schema.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import { parsePlatform } from "../../lib/oci/platform.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { Repository } from "../../lib/oci/remote/repository.ts";
import type { Target } from "../../lib/oci/target.ts";
import { pushArtifact, RequestCounter } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage, type PushedIndex, pushMultiArchIndex } from "../support/registry/images.ts";

const run = promisify(execFile);

let registry: RunningRegistry;
let work: string;
let image: { digest: string; size: number; mediaType: string };
let multi: PushedIndex;
const counter = new RequestCounter();
let client: RegistryClient;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), "countersign-copy-"));
  client = new RegistryClient(registry.host, { onRequest: counter.listener });
  image = await buildAndPushImage(`${registry.host}/src/app:v1`, { layers: 6, layerSize: 64 * 1024 });
  multi = await pushMultiArchIndex(registry.host, "src/multi:v1", ["linux/amd64", "linux/arm64/v8"], {
    layers: 2,
  });
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const repo = (name: string): Repository => client.repository(name);
const layout = (name: string) =>
  new OciLayout({ fileSystem: nodeLayoutFileSystem(join(work, name)), name: `oci-layout:${name}` });

/** Every manifest and blob of `digest` at `source` is at `destination` under the same digest, same bytes. */
async function expectSameGraph(source: Target, destination: Target, digest: string): Promise<void> {
  const original = await source.fetchManifest(digest);
  const copied = await destination.fetchManifest(digest);
  expect(copied.bytes).toEqual(original.bytes);
  const manifest = parseManifest(original.bytes, original.descriptor.mediaType);
  for (const child of children(manifest)) {
    if (child.mediaType === MediaType.OciManifest || child.mediaType === MediaType.OciIndex) {
      await expectSameGraph(source, destination, child.digest);
    } else {
      expect(await destination.hasBlob(child.digest)).toBe(true);
      const bytes = await new Response(await destination.fetchBlob(child)).bytes();
      expect(bytes.length).toBe(child.size);
    }
  }
}

describe("copy between registry repositories", () => {
  it("copies a multi-layer image with identical digests, mounting every blob", async () => {
    const events: CopyProgress[] = [];
    counter.reset();
    const result = await copy(repo("src/app"), "v1", repo("dst/app"), {
      tag: "v1",
      onProgress: (event) => events.push(event),
    });
    expect(result.descriptor.digest).toBe(image.digest);
    // 6 layers and the config, all mounted from src/app: no blob bytes travelled.
    expect(result.mounted).toBe(7);
    expect(result.bytes).toBe(0);
    expect(counter.count("blob.get")).toBe(0);
    await expectSameGraph(repo("src/app"), repo("dst/app"), image.digest);
    expect(events.filter((e) => e.kind === "blob").every((e) => e.mounted)).toBe(true);
    // skopeo sees the same digest at the destination.
    const { stdout } = await run("skopeo", [
      "inspect",
      "--tls-verify=false",
      `docker://${registry.host}/dst/app:v1`,
    ]);
    expect(JSON.parse(stdout).Digest).toBe(image.digest);

    counter.reset();
    const again = await copy(repo("src/app"), "v1", repo("dst/app"));
    expect(again.skipped).toBe(1);
    expect(counter.count("manifest.put")).toBe(0);
    expect(counter.count("blob.mount")).toBe(0);
  });

  it("copies a whole multi-arch index, or only the platforms asked for", async () => {
    const whole = await copy(repo("src/multi"), "v1", repo("dst/multi-all"), { tag: "v1" });
    expect(whole.descriptor.digest).toBe(multi.index.digest);
    await expectSameGraph(repo("src/multi"), repo("dst/multi-all"), multi.index.digest);

    const arm = multi.manifests.find((m) => m.platform === "linux/arm64/v8")!;
    const amd = multi.manifests.find((m) => m.platform === "linux/amd64")!;
    const some = await copy(repo("src/multi"), "v1", repo("dst/multi-arm"), {
      tag: "v1",
      platforms: [parsePlatform("linux/arm64")],
    });
    expect(some.descriptor.digest).not.toBe(multi.index.digest);
    const index = parseManifest((await repo("dst/multi-arm").fetchManifest("v1")).bytes);
    expect(children(index).map((d) => d.digest)).toEqual([arm.digest]);
    await expectSameGraph(repo("src/multi"), repo("dst/multi-arm"), arm.digest);
    expect(await repo("dst/multi-arm").hasManifest(amd.digest)).toBe(false);
  });

  it("round-trips registry → OCI layout → registry with every digest preserved", async () => {
    const local = layout("roundtrip");
    await copy(repo("src/multi"), "v1", local, { tag: "v1" });
    await expectSameGraph(repo("src/multi"), local, multi.index.digest);
    await copy(local, "v1", repo("back/multi"), { tag: "v1" });
    await expectSameGraph(repo("src/multi"), repo("back/multi"), multi.index.digest);
    expect((await repo("back/multi").resolve("v1")).digest).toBe(multi.index.digest);
  });
});

describe("copy with referrers", () => {
  let subject: Descriptor;
  let signature: Descriptor;
  let countersignature: Descriptor;
  let sigTag: string;

  beforeAll(async () => {
    const source = repo("src/app");
    subject = await source.resolve("v1");
    const signed = await pushArtifact(source, {
      subject,
      artifactType: MediaType.NotarySignature,
      annotations: { k: "v" },
    });
    await source.addReferrer(subject, signed.descriptor, signed.manifest);
    signature = signed.descriptor;
    const counter2 = await pushArtifact(source, {
      subject: signature,
      artifactType: "application/example.countersignature",
    });
    await source.addReferrer(signature, counter2.descriptor, counter2.manifest);
    countersignature = counter2.descriptor;
    // A cosign classic signature: an image manifest under the digest tag, no subject.
    sigTag = `sha256-${subject.digest.slice(7)}.sig`;
    await pushArtifact(source, { artifactType: MediaType.CosignSimpleSigning, tag: sigTag });
  });

  it("carries the fallback index (recursively) and the cosign .sig tag to another repository", async () => {
    const destination = repo("dst/signed");
    const result = await copy(repo("src/app"), "v1", destination, { tag: "v1", referrers: true });
    expect(result.referrers).toBe(2);
    expect(result.tags).toEqual(expect.arrayContaining(["v1", sigTag]));
    const listed = await destination.referrers(subject);
    expect(listed).toEqual([
      expect.objectContaining({
        digest: signature.digest,
        artifactType: MediaType.NotarySignature,
        annotations: { k: "v" },
      }),
    ]);
    expect((await destination.referrers(signature)).map((d) => d.digest)).toEqual([countersignature.digest]);
    expect((await destination.resolve(sigTag)).digest).toBe((await repo("src/app").resolve(sigTag)).digest);
    await expectSameGraph(repo("src/app"), destination, signature.digest);
    expect((await destination.fallbackIndex(subject))?.index.manifests).toHaveLength(1);

    // A second copy adds nothing to the fallback index: no duplicate.
    await copy(repo("src/app"), "v1", destination, { tag: "v1", referrers: true });
    expect((await destination.fallbackIndex(subject))?.index.manifests).toHaveLength(1);
  });

  it("repairs a fallback index that lacks a referrer already copied", async () => {
    const destination = repo("dst/repair");
    await copy(repo("src/app"), "v1", destination, { tag: "v1", referrers: true });
    await destination.removeReferrer(subject, signature.digest);
    expect(await destination.referrers(subject)).toEqual([]);
    await copy(repo("src/app"), "v1", destination, { tag: "v1", referrers: true });
    expect((await destination.referrers(subject)).map((d) => d.digest)).toEqual([signature.digest]);
  });

  it("brings referrers into an OCI layout and back to a registry", async () => {
    const local = layout("signed");
    await copy(repo("src/app"), "v1", local, { tag: "v1", referrers: true });
    expect((await local.referrers(subject)).map((d) => d.digest)).toEqual([signature.digest]);
    expect((await local.referrers(signature)).map((d) => d.digest)).toEqual([countersignature.digest]);
    expect(await local.tags()).toEqual(
      expect.arrayContaining(["v1", sigTag, `sha256-${subject.digest.slice(7)}`]),
    );

    const back = repo("back/signed");
    await copy(local, "v1", back, { tag: "v1", referrers: true });
    expect((await back.referrers(subject)).map((d) => d.digest)).toEqual([signature.digest]);
    expect((await back.referrers(signature)).map((d) => d.digest)).toEqual([countersignature.digest]);
    expect((await back.resolve(sigTag)).digest).toBe((await repo("src/app").resolve(sigTag)).digest);
  });
});
