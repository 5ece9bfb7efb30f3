// OCI image layouts written by real tools (notation, regctl, umoci) read through OciLayout, and layouts
// written by OciLayout read by skopeo.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeLayoutFileSystem } from "../../functions/node/layout-fs.ts";
import { copy } from "../../lib/oci/copy/copy.ts";
import { DigestMismatchError } from "../../lib/oci/errors.ts";
import { OciLayout } from "../../lib/oci/layout/layout.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import { pushSynthetic, referrerArtifact, syntheticImage } from "../support/oci/synthetic-image.ts";

const run = promisify(execFile);
const VECTORS = "/work/shared/vectors";
const NOTATION = join(VECTORS, "notation-jws-oci-layout-e2e-valid-signature/oci-layout");
const NOTATION_MULTI = join(VECTORS, "notation-jws-oci-layout-e2e-multiple-signatures/oci-layout");
const REGCLIENT = join(VECTORS, "oci-referrers-fallback-tag-regclient-testrepo");

const NOTATION_SUBJECT = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9";
const NOTATION_SIGNATURE = "sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f";
const NOTATION_SECOND_SIGNATURE = "sha256:c3ebe4a20b6832328fc5078a7795ddc1114b896e13fca2add38109c3866b5fbf";
const REGCLIENT_V2 = "sha256:dfae8f425735a5e3a72e40d6609e03079995511d48157c74d54801ff4430491e";
const REGCLIENT_AMD64 = "sha256:ee378b79279b57eb5ac1f3b892c9ad2a9be9d9ccabe1a29a9cbaed8cad182358";
const REGCLIENT_A1 = "sha256:0484e93c23cddf24a8400547119558312023295af241d4cd1eaf1b27145c5026";
const REGCLIENT_A2 = "sha256:741132f956e196c3858dab17e50ea977056f2f1ce1ad2900f11f4c8ff2d4203b";

const open = (dir: string) =>
  new OciLayout({ fileSystem: nodeLayoutFileSystem(dir), name: `oci-layout:${dir}` });

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "countersign-layout-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * The regclient vector ships blobs and the upstream index.json, whose other entries have no blobs here:
 * keep the entries whose blobs exist, and add what the upstream `mirror` tag shows (a digest-shaped tag
 * naming an image manifest, not an index) for a subject whose blob is here.
 */
async function regclientLayout(): Promise<string> {
  const dir = join(work, "regclient");
  await cp(join(REGCLIENT, "blobs"), join(dir, "blobs"), { recursive: true });
  const original = JSON.parse(
    await readFile(join(REGCLIENT, "index.json.original-full-ocidir-index"), "utf8"),
  ) as {
    manifests: { digest: string; mediaType: string; size: number; annotations?: Record<string, string> }[];
  };
  const layout = open(dir);
  const present = [];
  for (const entry of original.manifests) if (await layout.hasBlob(entry.digest)) present.push(entry);
  present.push({
    mediaType: MediaType.OciManifest,
    digest: REGCLIENT_A1,
    size: 583,
    annotations: { "org.opencontainers.image.ref.name": `sha256-${REGCLIENT_A1.slice(7)}` },
  });
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, "index.json"), JSON.stringify({ ...original, manifests: present }));
  return dir;
}

describe("OCI layouts written by notation", () => {
  it("finds the signature through the scan and the fallback tag index", async () => {
    const layout = open(NOTATION);
    const subject = await layout.resolve("v1");
    expect(subject).toEqual({ mediaType: MediaType.OciManifest, digest: NOTATION_SUBJECT, size: 517 });
    const referrers = await layout.referrers(subject);
    expect(referrers).toEqual([
      expect.objectContaining({
        digest: NOTATION_SIGNATURE,
        artifactType: MediaType.NotarySignature,
        annotations: expect.objectContaining({
          "io.cncf.notary.x509chain.thumbprint#S256": expect.any(String),
        }),
      }),
    ]);
    expect(await layout.referrers(subject, "application/other")).toEqual([]);
    const signature = await layout.fetchManifest(NOTATION_SIGNATURE);
    expect(signature.descriptor).toEqual({
      mediaType: MediaType.OciManifest,
      digest: NOTATION_SIGNATURE,
      size: 728,
    });
  });

  it("lists the signature the fallback index forgot, found by scanning index.json", async () => {
    const layout = open(NOTATION_MULTI);
    const referrers = await layout.referrers(await layout.resolve("v1"));
    expect(referrers.map((d) => d.digest)).toEqual([NOTATION_SIGNATURE, NOTATION_SECOND_SIGNATURE]);
  });

  it("notices a flipped byte in a copied layout", async () => {
    const dir = join(work, "tampered");
    await cp(NOTATION, dir, { recursive: true });
    const envelope = join(
      dir,
      "blobs/sha256/c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50",
    );
    const bytes = await readFile(envelope);
    bytes[10] = bytes[10]! ^ 0x20;
    await writeFile(envelope, bytes);
    const layout = open(dir);
    const manifest = JSON.parse(
      new TextDecoder().decode((await layout.fetchManifest(NOTATION_SIGNATURE)).bytes),
    );
    const stream = await layout.fetchBlob(manifest.layers[0]);
    await expect(new Response(stream).bytes()).rejects.toBeInstanceOf(DigestMismatchError);
  });
});

describe("OCI layouts written by regctl", () => {
  it("lists exactly the indexed referrers and ignores a digest tag that names an image", async () => {
    const layout = open(await regclientLayout());
    const v2 = await layout.resolve("v2");
    expect(v2.digest).toBe(REGCLIENT_V2);
    const referrers = await layout.referrers(v2);
    expect(referrers.map((d) => [d.digest, d.artifactType])).toEqual([
      [REGCLIENT_A1, "application/example.sbom"],
      [REGCLIENT_A2, "application/example.signature"],
    ]);
    expect((await layout.referrers(v2, "application/example.signature")).map((d) => d.digest)).toEqual([
      REGCLIENT_A2,
    ]);
    const platform = await layout.resolve(REGCLIENT_AMD64);
    expect((await layout.referrers(platform)).map((d) => d.artifactType)).toEqual([
      "application/example.arms",
    ]);
    // `sha256-<a1 hex>` names a1 itself, an image manifest: not a referrers index, so nothing refers to a1.
    expect(await layout.referrers(await layout.resolve(REGCLIENT_A1))).toEqual([]);
  });
});

describe("OCI layouts and umoci/skopeo", () => {
  it("reads an image umoci built, and skopeo reads what OciLayout wrote", async () => {
    const built = join(work, "umoci");
    await run("umoci", ["init", "--layout", built]);
    await run("umoci", ["new", "--image", `${built}:base`]);
    const layout = open(built);
    const base = await layout.fetchManifest("base");
    expect(base.descriptor.mediaType).toBe(MediaType.OciManifest);

    const written = join(work, "written");
    const target = open(written);
    await copy(layout, "base", target, { tag: "copied" });
    const subject = await target.resolve("copied");
    await pushSynthetic(target, await referrerArtifact(subject, "application/example.sbom", "sbom"));
    await pushSynthetic(target, await syntheticImage("second", 2), "second");

    const raw = await run("skopeo", ["inspect", "--raw", `oci:${written}:copied`]);
    expect(raw.stdout).toBe(new TextDecoder().decode(base.bytes));
    const again = join(work, "again");
    await run("skopeo", [
      "copy",
      "--quiet",
      "--preserve-digests",
      `oci:${written}:second`,
      `oci:${again}:second`,
    ]);
    expect((await open(again).resolve("second")).digest).toBe((await target.resolve("second")).digest);
  });
});
