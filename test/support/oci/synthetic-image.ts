// Small OCI images, indexes and referrer artifacts built in memory and pushed through the Target
// interface, for tests of layouts and copy that need exact control over content.
import type { Descriptor, Platform } from "../../../lib/oci/descriptor.ts";
import { digestOf } from "../../../lib/oci/digest.ts";
import { EmptyJson, MediaType } from "../../../lib/oci/media-types.ts";
import type { Target } from "../../../lib/oci/target.ts";

export interface Content {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
}

export async function blob(
  text: string | Uint8Array,
  mediaType: string = MediaType.OciLayerTarGzip,
): Promise<Content> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return { descriptor: { mediaType, digest: await digestOf(bytes), size: bytes.length }, bytes };
}

export async function json(value: unknown, mediaType: string): Promise<Content> {
  return blob(new TextEncoder().encode(JSON.stringify(value)), mediaType);
}

export interface SyntheticImage {
  readonly manifest: Content;
  readonly blobs: readonly Content[];
}

/** An image manifest with a config naming `platform` and `layers` text layers. */
export async function syntheticImage(
  name: string,
  layers: number,
  platform?: Platform,
): Promise<SyntheticImage> {
  const config = await json(
    {
      architecture: platform?.architecture ?? "amd64",
      os: platform?.os ?? "linux",
      rootfs: { type: "layers", diff_ids: [] },
      name,
    },
    MediaType.OciConfig,
  );
  const layerBlobs = await Promise.all(
    Array.from({ length: layers }, (_, i) => blob(`${name} layer ${i}\n`)),
  );
  const manifest = await json(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: config.descriptor,
      layers: layerBlobs.map((layer) => layer.descriptor),
    },
    MediaType.OciManifest,
  );
  return { manifest, blobs: [config, ...layerBlobs] };
}

/** A scratch-layer artifact (empty `{}` config, one small layer) whose subject is `subject`. */
export async function referrerArtifact(
  subject: Descriptor,
  artifactType: string,
  payload: string,
  annotations: Record<string, string> = {},
): Promise<SyntheticImage> {
  const config: Content = {
    descriptor: { mediaType: MediaType.OciEmpty, digest: EmptyJson.digest, size: EmptyJson.size },
    bytes: EmptyJson.bytes,
  };
  const layer = await blob(payload, "application/octet-stream");
  const manifest = await json(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config: config.descriptor,
      layers: [layer.descriptor],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z", ...annotations },
    },
    MediaType.OciManifest,
  );
  return { manifest, blobs: [config, layer] };
}

export async function syntheticIndex(
  children: readonly { image: SyntheticImage; platform: Platform }[],
): Promise<Content> {
  return json(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: children.map(({ image, platform }) => ({ ...image.manifest.descriptor, platform })),
    },
    MediaType.OciIndex,
  );
}

export async function pushSynthetic(
  target: Target,
  image: SyntheticImage,
  tag?: string,
): Promise<Descriptor> {
  for (const content of image.blobs) await target.pushBlob(content.descriptor, content.bytes);
  const pushed = await target.pushManifest(image.manifest.bytes, image.manifest.descriptor.mediaType, tag);
  return pushed.descriptor;
}
