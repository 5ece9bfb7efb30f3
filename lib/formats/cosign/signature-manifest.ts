// The `sha256-<hex>.sig` manifest cosign keeps beside an image (cosign specs/SIGNATURE_SPEC.md):
// an OCI image manifest, one simple-signing layer per signature, and a config whose rootfs.diff_ids
// are the layer digests (the layers are uncompressed, so diff ID = digest).

import { utf8 } from "../../encoding.ts";
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { digestOf } from "../../oci/digest.ts";
import { SignatureBuildError } from "../errors.ts";
import { type PublicKeyInput, parsePublicKey } from "../public-key.ts";
import type { CosignLayer } from "./build.ts";
import { CosignMediaType, CosignSignatureAnnotation } from "./payload.ts";
import { cosignSignatureVerifies } from "./verify.ts";

export interface CosignSignatureManifest {
  readonly manifest: ImageManifest;
  /** The manifest bytes to PUT at the `.sig` tag. */
  readonly bytes: Uint8Array;
  readonly config: { readonly descriptor: Descriptor; readonly bytes: Uint8Array };
  /** False when the signature was already there (nothing to push). */
  readonly appended: boolean;
}

export interface AppendCosignOptions {
  /**
   * Also treat as present a layer over the same payload that this key already signed (cosign's
   * DupeDetector): needs the payload bytes, as an ECDSA signature differs every time.
   */
  readonly sameKey?: { readonly publicKey: PublicKeyInput; readonly payload: Uint8Array };
}

/** `.sig` tag for a subject digest: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function cosignSignatureTag(subjectDigest: string): string {
  return `${subjectDigest.replace(":", "-")}.sig`;
}

/**
 * Adds `layer` to the existing `.sig` manifest (or starts one). Racy by nature: the caller holds the
 * per-subject lock between reading the manifest and overwriting the tag.
 */
export async function appendCosignLayer(
  existing: ImageManifest | undefined,
  layer: CosignLayer,
  options: AppendCosignOptions = {},
): Promise<CosignSignatureManifest> {
  const layers = [...(existing?.layers ?? [])];
  const present = await isPresent(layers, layer, options.sameKey);
  if (!present) layers.push(layer);
  const config = configFor(layers);
  const configBytes = utf8(JSON.stringify(config));
  const configDescriptor: Descriptor = {
    mediaType: CosignMediaType.Config,
    size: configBytes.length,
    digest: await digestOf(configBytes),
  };
  // Field order as go-containerregistry writes it (cosign's own output).
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: CosignMediaType.Manifest,
    config: configDescriptor,
    layers: layers.map(orderedDescriptor),
    ...(existing?.annotations ? { annotations: existing.annotations } : {}),
  };
  return {
    manifest,
    bytes: utf8(JSON.stringify(manifest)),
    config: { descriptor: configDescriptor, bytes: configBytes },
    appended: !present,
  };
}

async function isPresent(
  layers: readonly Descriptor[],
  layer: CosignLayer,
  sameKey: AppendCosignOptions["sameKey"],
): Promise<boolean> {
  const signature = layer.annotations[CosignSignatureAnnotation];
  const samePayload = layers.filter((l) => l.digest === layer.digest && l.mediaType === layer.mediaType);
  if (samePayload.some((l) => l.annotations?.[CosignSignatureAnnotation] === signature)) return true;
  if (!sameKey || samePayload.length === 0) return false;
  if ((await digestOf(sameKey.payload)) !== layer.digest) {
    throw new SignatureBuildError("sameKey.payload is not the payload of the layer being appended");
  }
  // A retried job must not stack a second signature by the same key over the same payload.
  const key = await parsePublicKey(sameKey.publicKey);
  for (const candidate of samePayload) {
    const existing = candidate.annotations?.[CosignSignatureAnnotation];
    if (existing !== undefined && (await cosignSignatureVerifies(key, sameKey.payload, existing)))
      return true;
  }
  return false;
}

function orderedDescriptor(descriptor: Descriptor): Descriptor {
  const { mediaType, size, digest, annotations, ...rest } = descriptor;
  return { mediaType, size, digest, ...(annotations ? { annotations } : {}), ...rest };
}

/** go-containerregistry's `empty.Image` plus one appended layer per signature, as cosign pushes it. */
function configFor(layers: readonly Descriptor[]): Record<string, unknown> {
  return {
    architecture: "",
    created: "0001-01-01T00:00:00Z",
    history: layers.map(() => ({ created: "0001-01-01T00:00:00Z" })),
    os: "",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
}
