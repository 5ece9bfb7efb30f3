// zod schemas for manifests read from a registry or a layout (image-spec descriptor.md, manifest.md,
// image-index.md): parsed at the edge, typed inward. Unknown fields are kept (loose), since the bytes,
// not the parsed object, are what gets copied and signed.
import { z } from "zod";
import { fromUtf8 } from "../encoding.ts";
import type { Descriptor, ImageIndex, ImageManifest, Manifest } from "./descriptor.ts";
import { isDigest } from "./digest.ts";
import { InvalidManifestError, RegistryProtocolError } from "./errors.ts";
import { isIndexMediaType } from "./media-types.ts";

const PlatformSchema = z
  .object({
    architecture: z.string(),
    os: z.string(),
    "os.version": z.string().optional(),
    "os.features": z.array(z.string()).optional(),
    variant: z.string().optional(),
  })
  .loose();

export const DescriptorSchema = z
  .object({
    mediaType: z.string().min(1),
    digest: z.string().refine(isDigest, "not a valid digest"),
    size: z.number().int().nonnegative(),
    urls: z.array(z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    data: z.string().optional(),
    platform: PlatformSchema.optional(),
    artifactType: z.string().optional(),
  })
  .loose();

const Annotations = z.record(z.string(), z.string()).optional();

export const ImageManifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    config: DescriptorSchema,
    layers: z.array(DescriptorSchema),
    subject: DescriptorSchema.optional(),
    annotations: Annotations,
  })
  .loose();

export const ImageIndexSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    manifests: z.array(DescriptorSchema),
    subject: DescriptorSchema.optional(),
    annotations: Annotations,
  })
  .loose();

export function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch (error) {
    throw new RegistryProtocolError(`${what}: not JSON`, { cause: error });
  }
}

/** Parses a manifest or index; `mediaType` (from the descriptor) decides which, else the body's shape. */
export function parseManifest(bytes: Uint8Array, mediaType?: string, what = "manifest"): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch (error) {
    throw new InvalidManifestError(`${what}: not JSON`, { cause: error });
  }
  const ownType =
    typeof json === "object" && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
  const looksLikeIndex =
    isIndexMediaType(mediaType) ||
    isIndexMediaType(typeof ownType === "string" ? ownType : undefined) ||
    (typeof json === "object" && json !== null && "manifests" in json && !("config" in json));
  const result = (looksLikeIndex ? ImageIndexSchema : ImageManifestSchema).safeParse(json);
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).slice(0, 5);
    throw new InvalidManifestError(
      `${what}: invalid ${looksLikeIndex ? "image index" : "image manifest"} (${where.join("; ")})`,
    );
  }
  return result.data as Manifest;
}

/**
 * The image manifest in `input` (bytes, or JSON already parsed), or `undefined` when it is not one: for
 * readers that report or skip what they cannot use (verifiers) rather than fail.
 */
export function safeParseImageManifest(input: unknown): ImageManifest | undefined {
  let value = input;
  if (input instanceof Uint8Array) {
    try {
      value = JSON.parse(fromUtf8(input));
    } catch {
      return undefined;
    }
  }
  const parsed = ImageManifestSchema.safeParse(value);
  return parsed.success ? (parsed.data as ImageManifest) : undefined;
}

export function isImageIndex(manifest: Manifest): manifest is ImageIndex {
  return "manifests" in manifest;
}

export function isImageManifest(manifest: Manifest): manifest is ImageManifest {
  return "config" in manifest && "layers" in manifest;
}

/** Descriptors a manifest points to: config and layers, or an index's manifests (subject excluded). */
export function children(manifest: Manifest): readonly Descriptor[] {
  return isImageIndex(manifest) ? manifest.manifests : [manifest.config, ...manifest.layers];
}
