// Discovery that trusts the manifest: go-containerregistry's registry lists every referrer under its
// config media type (a bundle as `application/vnd.oci.empty.v1+json`, annotations dropped), and a large
// registry has been seen doing the same. A signature is never dropped for its label; a referrer that
// names another artifact type is believed and not fetched.
import { beforeAll, expect, it } from "vitest";
import { buildArtifactManifest } from "../artifacts/manifest.ts";
import { RegistryProfiles } from "../artifacts/profiles.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { parseManifest } from "../oci/manifest-schema.ts";
import { MediaType } from "../oci/media-types.ts";
import type { FetchedManifest, Target } from "../oci/target.ts";
import { LocalSigner } from "../signing/local.ts";
import type { Signer } from "../signing/signer.ts";
import { buildSigstoreBundle } from "./bundle/build.ts";
import { bundle } from "./bundle/format.ts";

const subject: Descriptor = { mediaType: MediaType.OciManifest, digest: `sha256:${"c".repeat(64)}`, size: 7 };
let signer: Signer;
let listing: Descriptor[];
const manifests = new Map<string, Uint8Array>();
const blobs = new Map<string, Uint8Array>();
const fetched: string[] = [];

/** Stores an artifact with `subject` and returns the descriptor a registry listing by config type gives. */
async function store(artifactType: string, layer: Uint8Array, layerMediaType: string): Promise<Descriptor> {
  const built = await buildArtifactManifest({
    artifactType,
    subject,
    layers: [{ mediaType: layerMediaType, bytes: layer }],
    annotations: {},
    created: new Date("2026-12-01T00:00:00Z"),
    profile: RegistryProfiles.oci11,
  });
  manifests.set(built.descriptor.digest, built.bytes);
  for (const blob of built.blobs) blobs.set(blob.descriptor.digest, blob.bytes);
  const manifest = built.manifest as { config?: { mediaType: string } };
  return { ...built.descriptor, artifactType: manifest.config?.mediaType ?? "" };
}

const target = {
  name: "mislabelling-registry",
  async referrers() {
    return listing;
  },
  async fetchManifest(reference: string): Promise<FetchedManifest> {
    fetched.push(reference);
    const bytes = manifests.get(reference)!;
    const manifest = parseManifest(bytes, MediaType.OciManifest, reference);
    return {
      bytes,
      manifest,
      descriptor: { mediaType: MediaType.OciManifest, digest: reference, size: bytes.length },
    };
  },
  async fetchBlob(descriptor: Descriptor) {
    return new Response(new Uint8Array(blobs.get(descriptor.digest)!)).body!;
  },
} as unknown as Target;

beforeAll(async () => {
  signer = await LocalSigner.generate("ES256");
  const signature = await buildSigstoreBundle({ subject, signer, created: new Date() });
  const mislabelled = await store(signature.artifactType, signature.layer.bytes, signature.layer.mediaType);
  expect(mislabelled.artifactType).toBe(MediaType.OciEmpty);
  const sbom = await store("application/spdx+json", new TextEncoder().encode("{}"), "application/spdx+json");
  listing = [mislabelled, { ...sbom, artifactType: "application/spdx+json" }];
});

it("judges a referrer listed under a placeholder type by its manifest, and skips one that names another type", async () => {
  const verdicts = await bundle.verify({
    target,
    subject,
    material: { publicKeys: [(await signer.publicKey()).spki], trustStore: [] },
  });
  expect(verdicts).toHaveLength(1);
  expect(verdicts[0]).toMatchObject({ digest: listing[0]!.digest, ok: true });
  expect(fetched).toEqual([listing[0]!.digest]);
});
