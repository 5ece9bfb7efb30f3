import { describe, expect, it } from "vitest";
import { memoryLayoutFileSystem } from "../../../test/support/oci/memory-layout-fs.ts";
import {
  pushSynthetic,
  referrerArtifact,
  type SyntheticImage,
  syntheticImage,
  syntheticIndex,
} from "../../../test/support/oci/synthetic-image.ts";
import type { Descriptor } from "../descriptor.ts";
import { OciLayout } from "../layout/layout.ts";
import { MediaType } from "../media-types.ts";
import { parsePlatform } from "../platform.ts";
import type { Target } from "../target.ts";
import { type CopyProgress, copy } from "./copy.ts";

function newLayout(name: string) {
  const fs = memoryLayoutFileSystem();
  return { fs, layout: new OciLayout({ fileSystem: fs, name }) };
}

async function multiArch(target: Target) {
  const amd = await syntheticImage("amd", 2, { os: "linux", architecture: "amd64" });
  const arm = await syntheticImage("arm", 2, { os: "linux", architecture: "arm64", variant: "v8" });
  for (const image of [amd, arm]) await pushSynthetic(target, image);
  const index = await syntheticIndex([
    { image: amd, platform: { os: "linux", architecture: "amd64" } },
    { image: arm, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
  ]);
  await target.pushManifest(index.bytes, MediaType.OciIndex, "multi");
  return { amd, arm, index };
}

async function expectSameContent(source: Target, destination: Target, image: SyntheticImage) {
  for (const content of image.blobs) expect(await destination.hasBlob(content.descriptor.digest)).toBe(true);
  const copied = await destination.fetchManifest(image.manifest.descriptor.digest);
  expect(copied.bytes).toEqual((await source.fetchManifest(image.manifest.descriptor.digest)).bytes);
}

describe("copy between OCI layouts", () => {
  it("copies an image byte for byte, children before the manifest, and skips it all the second time", async () => {
    const { layout: source } = newLayout("src");
    const { layout: destination } = newLayout("dst");
    const image = await syntheticImage("app", 3);
    await pushSynthetic(source, image, "v1");

    const events: CopyProgress[] = [];
    const result = await copy(source, "v1", destination, { tag: "v1", onProgress: (e) => events.push(e) });
    expect(result.descriptor).toEqual(image.manifest.descriptor);
    await expectSameContent(source, destination, image);
    expect((await destination.resolve("v1")).digest).toBe(image.manifest.descriptor.digest);
    expect(events.map((e) => e.kind)).toEqual(["blob", "blob", "blob", "blob", "manifest"]);
    expect(result.bytes).toBe(image.blobs.reduce((sum, b) => sum + b.bytes.length, 0));

    const again: CopyProgress[] = [];
    const second = await copy(source, "v1", destination, { onProgress: (e) => again.push(e) });
    expect(second.bytes).toBe(0);
    expect(again).toEqual([expect.objectContaining({ kind: "manifest", skipped: true })]);
  });

  it("copies a whole index with the same digest, or only the platforms asked for", async () => {
    const { layout: source } = newLayout("src");
    const { amd, arm, index } = await multiArch(source);

    const { layout: whole } = newLayout("whole");
    const all = await copy(source, "multi", whole, { tag: "multi" });
    expect(all.descriptor.digest).toBe(index.descriptor.digest);
    await expectSameContent(source, whole, amd);
    await expectSameContent(source, whole, arm);

    const { layout: filtered } = newLayout("filtered");
    const some = await copy(source, "multi", filtered, {
      tag: "multi",
      platforms: [parsePlatform("linux/arm64")],
    });
    expect(some.descriptor.digest).not.toBe(index.descriptor.digest);
    const copied = JSON.parse(new TextDecoder().decode((await filtered.fetchManifest("multi")).bytes)) as {
      manifests: Descriptor[];
    };
    expect(copied.manifests.map((m) => m.digest)).toEqual([arm.manifest.descriptor.digest]);
    await expectSameContent(source, filtered, arm);
    expect(await filtered.hasManifest(amd.manifest.descriptor.digest)).toBe(false);

    await expect(
      copy(source, "multi", filtered, { platforms: [parsePlatform("windows/amd64")] }),
    ).rejects.toThrow(/no manifest in index .* matches windows\/amd64/);
  });

  it("carries referrers recursively and cosign digest tags", async () => {
    const { layout: source } = newLayout("src");
    const image = await syntheticImage("app", 1);
    const subject = await pushSynthetic(source, image, "v1");
    const signature = await referrerArtifact(subject, MediaType.NotarySignature, "sig");
    const signed = await pushSynthetic(source, signature);
    const countersignature = await referrerArtifact(signed, "application/example.countersignature", "csig");
    await pushSynthetic(source, countersignature);
    const cosign = await syntheticImage("cosign-sig", 1);
    const sigTag = `sha256-${subject.digest.slice(7)}.sig`;
    await pushSynthetic(source, cosign, sigTag);

    const { layout: withoutReferrers } = newLayout("plain");
    await copy(source, "v1", withoutReferrers, { tag: "v1" });
    expect(await withoutReferrers.referrers(subject)).toEqual([]);
    expect(await withoutReferrers.tags()).toEqual(["v1"]);

    const { layout: destination } = newLayout("dst");
    const result = await copy(source, "v1", destination, { tag: "v1", referrers: true });
    expect((await destination.referrers(subject)).map((d) => d.digest)).toEqual([signed.digest]);
    expect((await destination.referrers(signed)).map((d) => d.digest)).toEqual([
      countersignature.manifest.descriptor.digest,
    ]);
    expect((await destination.resolve(sigTag)).digest).toBe(cosign.manifest.descriptor.digest);
    await expectSameContent(source, destination, signature);
    await expectSameContent(source, destination, countersignature);
    expect(result.referrers).toBe(2);
    expect(result.tags).toEqual(expect.arrayContaining(["v1", sigTag]));
  });

  it("pushes children before parents and keeps at most `concurrency` transfers in flight", async () => {
    const { layout: source } = newLayout("src");
    const { amd, arm, index } = await multiArch(source);
    const { layout: inner } = newLayout("dst");
    const order: string[] = [];
    let inFlight = 0;
    let peak = 0;
    const overrides: Partial<Target> = {
      async pushBlob(descriptor, content) {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await inner.pushBlob(descriptor, content);
        inFlight--;
        order.push(descriptor.digest);
      },
      async pushManifest(bytes, mediaType, tag) {
        const pushed = await inner.pushManifest(bytes, mediaType, tag);
        order.push(pushed.descriptor.digest);
        return pushed;
      },
    };
    const destination = new Proxy(inner, {
      get: (target, property) => {
        const value = overrides[property as keyof Target] ?? Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await copy(source, "multi", destination, { tag: "multi", concurrency: 2 });
    expect(peak).toBe(2);
    expect(order.at(-1)).toBe(index.descriptor.digest);
    for (const image of [amd, arm]) {
      const at = order.indexOf(image.manifest.descriptor.digest);
      for (const content of image.blobs) expect(order.indexOf(content.descriptor.digest)).toBeLessThan(at);
    }
  });
});
