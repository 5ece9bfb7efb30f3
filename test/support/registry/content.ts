// Small artifacts pushed through the client under test, for registry tests that need exact control
// (referrers, oversized manifests); real images come from images.ts (umoci + skopeo).
import type { Descriptor, ImageManifest } from "../../../lib/oci/descriptor.ts";
import { digestOf } from "../../../lib/oci/digest.ts";
import { EmptyJson, MediaType } from "../../../lib/oci/media-types.ts";
import { RegistryClient } from "../../../lib/oci/remote/registry.ts";
import type { Repository } from "../../../lib/oci/remote/repository.ts";

export interface PushedArtifact {
  readonly descriptor: Descriptor;
  readonly manifest: ImageManifest;
  readonly bytes: Uint8Array;
}

export async function bytesDescriptor(bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  return { mediaType, digest: await digestOf(bytes), size: bytes.length };
}

/** A scratch-layer artifact (empty config, one small layer), optionally with a subject. */
export async function pushArtifact(
  repository: Repository,
  options: {
    readonly subject?: Descriptor;
    readonly artifactType?: string;
    readonly annotations?: Record<string, string>;
    readonly payload?: string;
    readonly tag?: string;
  } = {},
): Promise<PushedArtifact> {
  const payload = new TextEncoder().encode(options.payload ?? `payload ${crypto.randomUUID()}`);
  const layer = await bytesDescriptor(payload, "application/octet-stream");
  const config: Descriptor = {
    mediaType: MediaType.OciEmpty,
    digest: EmptyJson.digest,
    size: EmptyJson.size,
  };
  await repository.pushBlob(config, EmptyJson.bytes);
  await repository.pushBlob(layer, payload);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    ...(options.artifactType !== undefined && { artifactType: options.artifactType }),
    config,
    layers: [layer],
    ...(options.subject !== undefined && { subject: options.subject }),
    ...(options.annotations !== undefined && { annotations: options.annotations }),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const pushed = await repository.pushManifest(bytes, MediaType.OciManifest, options.tag);
  return { descriptor: pushed.descriptor, manifest, bytes };
}

/** Counts `onRequest` events by operation. */
export class RequestCounter {
  readonly byOperation = new Map<string, number>();
  readonly listener = (event: { readonly operation: string }) => {
    this.byOperation.set(event.operation, (this.byOperation.get(event.operation) ?? 0) + 1);
  };
  count(operation?: string): number {
    if (operation !== undefined) return this.byOperation.get(operation) ?? 0;
    let total = 0;
    for (const n of this.byOperation.values()) total += n;
    return total;
  }
  reset(): void {
    this.byOperation.clear();
  }
}

/**
 * Tags one manifest `count` times in `to` at once (`t0`, `t1`, …), its blobs mounted from `from` on
 * the same registry: the "many concurrent pushes of one digest" a signing service must sign once.
 */
export async function pushUnderManyTags(
  host: string,
  from: string,
  to: string,
  digest: string,
  count: number,
): Promise<void> {
  const source = new RegistryClient(host).repository(from);
  const target = new RegistryClient(host).repository(to);
  const fetched = await source.fetchManifest(digest);
  const manifest = JSON.parse(new TextDecoder().decode(fetched.bytes)) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  for (const blob of [manifest.config, ...manifest.layers])
    await target.pushBlob(blob, new Uint8Array(), { mountFrom: from });
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      target.pushManifest(fetched.bytes, fetched.descriptor.mediaType, `t${i}`),
    ),
  );
}
