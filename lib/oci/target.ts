// A place content lives: a registry repository or an OCI image layout. Copy and the CLI work on this
// interface only (oras-go's `content.Storage` + `registry.Repository`), never on URLs.
import type { Descriptor, Manifest } from "./descriptor.ts";

/** A manifest as read once at the edge: nothing downstream parses the bytes again (regclient's manifest.New). */
export interface FetchedManifest {
  /** Descriptor of the bytes exactly as stored: digest computed here, never taken from a header. */
  readonly descriptor: Descriptor;
  /** What was signed and is copied: the bytes as stored, never a re-serialisation of `manifest`. */
  readonly bytes: Uint8Array;
  /** The bytes parsed and validated (image-spec manifest or index). */
  readonly manifest: Manifest;
}

export interface PushedManifest {
  readonly descriptor: Descriptor;
  /** The registry answered the PUT with `OCI-Subject` (a hint only: see ReferrersCapability). */
  readonly subjectHeader?: string;
}

export interface Target {
  /** Human-readable name for messages: `127.0.0.1:5000/team/app`, `oci-layout:/tmp/x`. */
  readonly name: string;
  /** A tag or `sha256:<hex>` digest to the manifest's descriptor. */
  resolve(reference: string): Promise<Descriptor>;
  /**
   * Fetches a manifest by tag or digest, verifying bytes against the digest (and size cap) and parsing
   * them; InvalidManifestError when they are not a manifest.
   */
  fetchManifest(reference: string): Promise<FetchedManifest>;
  /** Stores manifest bytes as they are, under their digest and, when given, a tag. */
  pushManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<PushedManifest>;
  hasManifest(digest: string): Promise<boolean>;
  hasBlob(digest: string): Promise<boolean>;
  /** Streams a blob, failing the stream if the content does not hash to `descriptor.digest`. */
  fetchBlob(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>>;
  /** Stores a blob; a no-op when present. `mountFrom` names a repository on the same registry. */
  pushBlob(
    descriptor: Descriptor,
    content: Uint8Array | ReadableStream<Uint8Array>,
    options?: { readonly mountFrom?: string },
  ): Promise<void>;
  /** All tags, in the order the target lists them. */
  tags(): Promise<string[]>;
  /** Manifests whose `subject` is `subject` (referrers API or tag-schema fallback), optionally filtered. */
  referrers(subject: Descriptor, artifactType?: string): Promise<Descriptor[]>;
}

/** A small blob (a signature layer, a payload) in memory, verified as it streams. */
export async function readBlobBytes(target: Target, descriptor: Descriptor): Promise<Uint8Array> {
  return new Uint8Array(await new Response(await target.fetchBlob(descriptor)).arrayBuffer());
}
