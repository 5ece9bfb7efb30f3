// "Is this manifest anybody's signature or attestation?": what the attach job never signs, ours or
// any other tool's. Not "which of our formats is it" (lib/formats/index.ts formatOf): this one also
// knows what Countersign never writes, and reads untrusted shapes without failing.

// Media types that mark a manifest as a signature or attestation: Notary Project, cosign (simple
// signing, attestations, OCI 1.1 artifacts), sigstore bundles (every version), in-toto and DSSE. Every
// format of lib/formats/index.ts must fall under one (signature-artifact.test.ts checks).
const SIGNATURE_MEDIA_TYPE_PREFIXES: readonly string[] = [
  "application/vnd.cncf.notary.",
  "application/vnd.dev.cosign.",
  "application/vnd.dev.sigstore.",
  "application/vnd.in-toto",
  "application/vnd.dsse.",
];

/** The manifest fields isSignatureArtifact looks at; an ImageManifest or ImageIndex fits. */
export interface ArtifactProbe {
  readonly subject?: unknown;
  readonly artifactType?: unknown;
  readonly config?: { readonly mediaType?: unknown };
  readonly layers?: readonly { readonly mediaType?: unknown }[];
}

/** A signature/attestation media type (RFC 6838: media types compare case-insensitively). */
export function isSignatureMediaType(mediaType: unknown): boolean {
  if (typeof mediaType !== "string") return false;
  const lower = mediaType.toLowerCase();
  return SIGNATURE_MEDIA_TYPE_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * True for a manifest that refers to another (`subject`: every referrer is about some other image)
 * or that carries a signature or attestation media type as artifactType, config or any layer.
 */
export function isSignatureArtifact(manifest: ArtifactProbe): boolean {
  if (manifest.subject !== undefined && manifest.subject !== null) return true;
  if (isSignatureMediaType(manifest.artifactType) || isSignatureMediaType(manifest.config?.mediaType))
    return true;
  return (
    Array.isArray(manifest.layers) && manifest.layers.some((layer) => isSignatureMediaType(layer?.mediaType))
  );
}
