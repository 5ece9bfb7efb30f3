// Manifests against a real distribution 2.8 registry: images built by umoci and pushed by skopeo,
// read back by tag and digest, verified byte for byte; faults from a byte-altering proxy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageIndex } from "../../lib/oci/descriptor.ts";
import { digestOf } from "../../lib/oci/digest.ts";
import { DigestMismatchError, ManifestTooLargeError, RegistryError } from "../../lib/oci/errors.ts";
import { parseManifest } from "../../lib/oci/manifest-schema.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import { selectPlatform } from "../../lib/oci/platform.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { pushArtifact, RequestCounter } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";
import {
  type BuiltImage,
  buildImage,
  type PushedIndex,
  pushImage,
  pushMultiArchIndex,
} from "../support/registry/images.ts";

let registry: RunningRegistry;
let proxy: FaultProxy;
let image: BuiltImage;
let multi: PushedIndex;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  image = await buildImage({ layers: 3 });
  await pushImage(image.dir, `${registry.host}/team/app:v1`);
  multi = await pushMultiArchIndex(registry.host, "team/multi:v1", [
    "linux/amd64",
    "linux/arm64/v8",
    "linux/arm/v7",
  ]);
});

afterAll(async () => {
  await proxy?.stop();
  await image?.cleanup();
  await registry?.stop();
});

describe("manifests on distribution 2.8", () => {
  it("gets a skopeo-pushed manifest by tag and by digest, hashing to the layout's digest", async () => {
    const repo = new RegistryClient(registry.host).repository("team/app");
    const byTag = await repo.fetchManifest("v1");
    expect(byTag.descriptor).toEqual(image.manifest);
    expect(await digestOf(byTag.bytes)).toBe(image.manifest.digest);
    const byDigest = await repo.fetchManifest(image.manifest.digest);
    expect(byDigest.bytes).toEqual(byTag.bytes);
    const manifest = parseManifest(byTag.bytes, byTag.descriptor.mediaType);
    expect("layers" in manifest && manifest.layers).toHaveLength(3);
    expect(byTag.etag).toContain(image.manifest.digest);
  });

  it("resolves and checks existence with HEAD only", async () => {
    const counter = new RequestCounter();
    const repo = new RegistryClient(registry.host, { onRequest: counter.listener }).repository("team/app");
    expect(await repo.resolve("v1")).toEqual(image.manifest);
    expect(await repo.hasManifest(image.manifest.digest)).toBe(true);
    expect(await repo.hasManifest(`sha256:${"0".repeat(64)}`)).toBe(false);
    expect(counter.count("manifest.head")).toBe(3);
    expect(counter.count("manifest.get")).toBe(0);
  });

  it("reports MANIFEST_UNKNOWN for a missing tag", async () => {
    const repo = new RegistryClient(registry.host).repository("team/app");
    const error = await repo.fetchManifest("nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(404);
    expect((error as RegistryError).codes).toContain("MANIFEST_UNKNOWN");
    const resolved = await repo.resolve("nope").catch((e: unknown) => e);
    expect((resolved as RegistryError).codes).toEqual(["MANIFEST_UNKNOWN"]);
  });

  it("reads a multi-arch index and selects platforms", async () => {
    const repo = new RegistryClient(registry.host).repository("team/multi");
    const fetched = await repo.fetchManifest("v1");
    expect(fetched.descriptor).toEqual(multi.index);
    const index = parseManifest(fetched.bytes, fetched.descriptor.mediaType) as ImageIndex;
    const arm64 = multi.manifests.find((m) => m.platform === "linux/arm64/v8")!;
    expect(selectPlatform(index, "linux/arm64/v8").digest).toBe(arm64.digest);
    expect(selectPlatform(index, "linux/arm64").digest).toBe(arm64.digest);
    expect(selectPlatform(index, "linux/arm").digest).toBe(multi.manifests[2]!.digest);
    const child = await repo.fetchManifest(arm64.digest);
    expect(child.descriptor.size).toBe(arm64.size);
  });

  it("pushes raw bytes under a tag and reads back the identical bytes", async () => {
    const repo = new RegistryClient(registry.host).repository("team/pushed");
    // Whitespace and key order are part of the bytes: nothing may re-serialise them.
    const artifact = await pushArtifact(repo, { tag: "raw" });
    const fetched = await repo.fetchManifest("raw");
    expect(fetched.bytes).toEqual(artifact.bytes);
    expect(fetched.descriptor.digest).toBe(artifact.descriptor.digest);
    expect(await repo.tags()).toEqual(["raw"]);
    await repo.deleteManifest(artifact.descriptor.digest);
    expect(await repo.hasManifest(artifact.descriptor.digest)).toBe(false);
  });

  it("fails the read when a proxy alters one byte of the manifest", async () => {
    const repo = new RegistryClient(proxy.host).repository("team/app");
    proxy.inject({ kind: "corrupt" }, 1, { method: "GET", path: /\/manifests\/v1$/ });
    const byTag = await repo.fetchManifest("v1").catch((e: unknown) => e);
    expect(byTag).toBeInstanceOf(DigestMismatchError);
    expect((byTag as DigestMismatchError).message).toMatch(/Docker-Content-Digest/);
    proxy.inject({ kind: "corrupt" }, 1, { method: "GET", path: /\/manifests\/sha256:/ });
    const byDigest = await repo.fetchManifest(image.manifest.digest).catch((e: unknown) => e);
    expect(byDigest).toBeInstanceOf(DigestMismatchError);
    expect((byDigest as DigestMismatchError).expected).toBe(image.manifest.digest);
    // Unaltered, the same read succeeds.
    expect((await repo.fetchManifest(image.manifest.digest)).descriptor).toEqual(image.manifest);
  });

  it("rejects manifests above the size limit in both directions", async () => {
    const small = new RegistryClient(registry.host, { limits: { manifestBytes: 300 } }).repository(
      "team/app",
    );
    const error = await small.fetchManifest("v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestTooLargeError);
    expect((error as ManifestTooLargeError).message).toMatch(/exceeds the 300-byte limit/);
    expect((error as ManifestTooLargeError).size).toBe(image.manifest.size);

    const repo = new RegistryClient(registry.host).repository("team/app");
    const huge = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [],
        pad: "x".repeat(4 * 1024 * 1024),
      }),
    );
    const push = await repo.pushManifest(huge, MediaType.OciIndex, "huge").catch((e: unknown) => e);
    expect(push).toBeInstanceOf(ManifestTooLargeError);
    expect(await repo.hasManifest("huge")).toBe(false);
  });
});
