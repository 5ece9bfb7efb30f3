// The slice of an OCI image manifest (image-spec manifest.md) that signature verifiers read, parsed
// with zod because it comes from a registry or a file.
import { z } from "zod";
import { fromUtf8 } from "../encoding.ts";
import type { ImageManifest } from "../oci/descriptor.ts";

const DescriptorSchema = z
  .object({
    mediaType: z.string(),
    digest: z.string(),
    size: z.number().int().nonnegative(),
    annotations: z.record(z.string(), z.string()).optional(),
    artifactType: z.string().optional(),
  })
  .loose();

export const SignatureManifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    config: DescriptorSchema,
    layers: z.array(DescriptorSchema),
    subject: DescriptorSchema.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .loose();

/** Accepts manifest bytes or an already-parsed object; `undefined` when it is not an image manifest. */
export function parseSignatureManifest(input: ImageManifest | Uint8Array): ImageManifest | undefined {
  let value: unknown = input;
  if (input instanceof Uint8Array) {
    try {
      value = JSON.parse(fromUtf8(input));
    } catch {
      return undefined;
    }
  }
  const parsed = SignatureManifestSchema.safeParse(value);
  return parsed.success ? (parsed.data as ImageManifest) : undefined;
}
