// What a manifest points at: the edges copy walks and the fields referrers discovery reads. Parsed
// with zod from bytes that were already digest-checked; unknown fields are ignored, not rejected,
// because the bytes are stored exactly as fetched anyway.
import { z } from "zod";
import type { Descriptor } from "./descriptor.ts";
import { descriptorSchema } from "./layout-index.ts";
import { isIndexMediaType, MediaType } from "./media-types.ts";

const manifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema.optional(),
  layers: z.array(descriptorSchema).optional(),
  manifests: z.array(descriptorSchema).optional(),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export interface ManifestNode {
  /** The media type the bytes declare, else the one they must have from their shape. */
  readonly mediaType: string;
  readonly isIndex: boolean;
  /** Index: its manifests. Image manifest: its config then its layers (blobs). */
  readonly children: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly artifactType?: string;
  readonly configMediaType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export class ManifestParseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ManifestParseError";
  }
}

export function parseManifestNode(bytes: Uint8Array, mediaTypeHint?: string): ManifestNode {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ManifestParseError("manifest is not valid JSON", { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ManifestParseError(`not an OCI or Docker v2 manifest: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const manifest = parsed.data;
  const isIndex =
    manifest.manifests !== undefined ||
    isIndexMediaType(manifest.mediaType) ||
    (manifest.mediaType === undefined && isIndexMediaType(mediaTypeHint));
  const mediaType =
    manifest.mediaType ?? mediaTypeHint ?? (isIndex ? MediaType.OciIndex : MediaType.OciManifest);
  const children = isIndex
    ? (manifest.manifests ?? [])
    : [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])];
  return {
    mediaType,
    isIndex,
    children,
    ...(manifest.subject ? { subject: manifest.subject } : {}),
    ...(manifest.artifactType ? { artifactType: manifest.artifactType } : {}),
    ...(manifest.config ? { configMediaType: manifest.config.mediaType } : {}),
    ...(manifest.annotations ? { annotations: manifest.annotations } : {}),
  };
}
