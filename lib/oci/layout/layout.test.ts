import { describe, expect, it } from "vitest";
import { memoryLayoutFileSystem } from "../../../test/support/oci/memory-layout-fs.ts";
import {
  blob,
  pushSynthetic,
  referrerArtifact,
  syntheticImage,
  syntheticIndex,
} from "../../../test/support/oci/synthetic-image.ts";
import { DigestMismatchError, ManifestTooLargeError, SizeMismatchError } from "../errors.ts";
import { MediaType } from "../media-types.ts";
import { LayoutError, LayoutNotFoundError } from "./errors.ts";
import { parseLayoutIndex, RefNameAnnotation } from "./index-json.ts";
import { OciLayout } from "./layout.ts";

function newLayout() {
  const fs = memoryLayoutFileSystem();
  return { fs, layout: new OciLayout({ fileSystem: fs, name: "oci-layout:mem" }) };
}

const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe("OciLayout", () => {
  it("writes oci-layout, blobs under blobs/sha256 and the tag in index.json", async () => {
    const { fs, layout } = newLayout();
    const image = await syntheticImage("app", 2);
    const pushed = await pushSynthetic(layout, image, "v1");

    expect(decode(fs.files.get("oci-layout"))).toBe('{"imageLayoutVersion":"1.0.0"}');
    for (const content of [...image.blobs, image.manifest]) {
      expect(fs.files.get(`blobs/sha256/${content.descriptor.digest.slice(7)}`)).toEqual(content.bytes);
    }
    const index = parseLayoutIndex(fs.files.get("index.json")!);
    expect(index.manifests).toEqual([{ ...pushed, annotations: { [RefNameAnnotation]: "v1" } }]);
    expect(await layout.resolve("v1")).toEqual(pushed);
    const fetched = await layout.fetchManifest("v1");
    expect(fetched.bytes).toEqual(image.manifest.bytes);
    expect(fetched.descriptor.digest).toBe(image.manifest.descriptor.digest);
    expect(await layout.tags()).toEqual(["v1"]);
  });

  it("moves a tag instead of duplicating it", async () => {
    const { layout } = newLayout();
    await pushSynthetic(layout, await syntheticImage("one", 1), "latest");
    const second = await pushSynthetic(layout, await syntheticImage("two", 1), "latest");
    const index = await layout.readIndex();
    expect(index.manifests).toHaveLength(1);
    expect((await layout.resolve("latest")).digest).toBe(second.digest);
  });

  it("keeps only roots in index.json: an index replaces the untagged entries of its children", async () => {
    const { layout } = newLayout();
    const amd = await syntheticImage("amd", 1, { os: "linux", architecture: "amd64" });
    const arm = await syntheticImage("arm", 1, { os: "linux", architecture: "arm64" });
    await pushSynthetic(layout, amd);
    await pushSynthetic(layout, arm);
    expect((await layout.readIndex()).manifests).toHaveLength(2);
    const index = await syntheticIndex([
      { image: amd, platform: { os: "linux", architecture: "amd64" } },
      { image: arm, platform: { os: "linux", architecture: "arm64" } },
    ]);
    await layout.pushManifest(index.bytes, MediaType.OciIndex, "multi");
    expect((await layout.readIndex()).manifests.map((entry) => entry.digest)).toEqual([
      index.descriptor.digest,
    ]);
    // The children stay resolvable by digest from blobs/.
    expect(await layout.resolve(amd.manifest.descriptor.digest)).toEqual(amd.manifest.descriptor);
  });

  it("lists a pushed referrer untagged and in the fallback index, without duplicates", async () => {
    const { layout } = newLayout();
    const subject = await pushSynthetic(layout, await syntheticImage("app", 1), "v1");
    const first = await referrerArtifact(subject, "application/example.sbom", "one", { note: "a" });
    const second = await referrerArtifact(subject, "application/example.signature", "two");
    const pushed = await pushSynthetic(layout, first);
    await pushSynthetic(layout, second);
    await pushSynthetic(layout, first);

    const listed = await layout.referrers(subject);
    expect(listed.map((d) => [d.digest, d.artifactType])).toEqual([
      [first.manifest.descriptor.digest, "application/example.sbom"],
      [second.manifest.descriptor.digest, "application/example.signature"],
    ]);
    expect(listed[0]?.annotations).toEqual({
      "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
      note: "a",
    });
    const fallback = await layout.fetchManifest(`sha256-${subject.digest.slice(7)}`);
    expect(fallback.descriptor.mediaType).toBe(MediaType.OciIndex);
    const fallbackIndex = JSON.parse(decode(fallback.bytes)) as { manifests: { digest: string }[] };
    expect(fallbackIndex.manifests.map((m) => m.digest)).toEqual(listed.map((d) => d.digest));
    expect(await layout.referrers(subject, "application/example.signature")).toHaveLength(1);
    expect(pushed).toEqual(first.manifest.descriptor);
  });

  it("does not overwrite a digest-shaped tag that names an image", async () => {
    const { layout } = newLayout();
    const subject = await pushSynthetic(layout, await syntheticImage("app", 1), "v1");
    const squatter = await pushSynthetic(
      layout,
      await syntheticImage("other", 1),
      `sha256-${subject.digest.slice(7)}`,
    );
    const artifact = await referrerArtifact(subject, "application/example.sbom", "x");
    await pushSynthetic(layout, artifact);
    expect((await layout.resolve(`sha256-${subject.digest.slice(7)}`)).digest).toBe(squatter.digest);
    expect((await layout.referrers(subject)).map((d) => d.digest)).toEqual([
      artifact.manifest.descriptor.digest,
    ]);
  });

  it("rejects a blob whose content does not match its digest, on read and on write", async () => {
    const { fs, layout } = newLayout();
    const image = await syntheticImage("app", 1);
    await pushSynthetic(layout, image, "v1");
    const layer = image.blobs[1]!;
    const path = `blobs/sha256/${layer.descriptor.digest.slice(7)}`;
    const tampered = layer.bytes.slice();
    tampered[0] = tampered[0]! ^ 1;
    fs.files.set(path, tampered);
    await expect(layout.fetchBlob(layer.descriptor)).rejects.toBeInstanceOf(DigestMismatchError);

    const fresh = await blob("fresh");
    await expect(
      layout.pushBlob(fresh.descriptor, new TextEncoder().encode("fresher")),
    ).rejects.toBeInstanceOf(SizeMismatchError);
    const stream = new Blob([new TextEncoder().encode("frest")]).stream();
    await expect(layout.pushBlob(fresh.descriptor, stream)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await layout.hasBlob(fresh.descriptor.digest)).toBe(false);
  });

  it("rejects a tampered manifest and an oversized one", async () => {
    const { fs, layout } = newLayout();
    const image = await syntheticImage("app", 1);
    await pushSynthetic(layout, image, "v1");
    const path = `blobs/sha256/${image.manifest.descriptor.digest.slice(7)}`;
    fs.files.set(path, new TextEncoder().encode(decode(image.manifest.bytes).replace("layer", "lAyer")));
    await expect(layout.fetchManifest("v1")).rejects.toBeInstanceOf(DigestMismatchError);

    const huge = new TextEncoder().encode(
      `{"schemaVersion":2,"layers":[],"pad":"${"x".repeat(4 * 1024 * 1024)}"}`,
    );
    await expect(layout.pushManifest(huge, MediaType.OciManifest)).rejects.toBeInstanceOf(
      ManifestTooLargeError,
    );
  });

  it("answers unknown tags and digests with MANIFEST_UNKNOWN, hostile names with clear errors", async () => {
    const { layout } = newLayout();
    await expect(layout.resolve("nope")).rejects.toBeInstanceOf(LayoutNotFoundError);
    await expect(layout.fetchManifest(`sha256:${"0".repeat(64)}`)).rejects.toMatchObject({
      code: "MANIFEST_UNKNOWN",
    });
    await expect(layout.resolve("../../etc/passwd")).rejects.toBeInstanceOf(LayoutError);
    await expect(layout.hasBlob("sha256:../../../etc/passwd")).rejects.toThrow(/invalid digest/);
    const image = await syntheticImage("app", 1);
    await expect(pushSynthetic(layout, image, "bad/tag")).rejects.toThrow(/invalid tag/);
  });

  it("reports a broken index.json instead of treating it as empty", async () => {
    const { fs, layout } = newLayout();
    fs.files.set("index.json", new TextEncoder().encode('{"schemaVersion":2,"manifests":[{"digest":1}]}'));
    await expect(layout.tags()).rejects.toThrow(/index.json is not an OCI image index/);
  });
});
