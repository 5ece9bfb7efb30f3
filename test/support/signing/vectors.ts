// Reads the signature conformance vectors in the shared folder's vectors/ (real cosign, notation and
// sigstore output, see each folder's PROVENANCE.md; test/support/shared-data.ts says where) for the tests
// that judge them.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Descriptor, ImageIndex, ImageManifest } from "../../../lib/oci/descriptor.ts";
import { sharedPath, sharedRoot } from "../shared-data.ts";

export const vectorsRoot = join(sharedRoot, "vectors");

export function vectorPath(folder: string, ...path: string[]): string {
  return sharedPath("vectors", folder, ...path);
}

export function vectorBytes(folder: string, ...path: string[]): Uint8Array {
  return new Uint8Array(readFileSync(vectorPath(folder, ...path)));
}

export function vectorText(folder: string, ...path: string[]): string {
  return readFileSync(vectorPath(folder, ...path), "utf8");
}

/** Files whose SHA-256 differs from the folder's SHA256SUMS (empty when the vector is intact). */
export function sha256SumMismatches(folder: string): string[] {
  const lines = vectorText(folder, "SHA256SUMS").split("\n").filter(Boolean);
  if (lines.length === 0) throw new Error(`${folder}/SHA256SUMS is empty`);
  return lines.flatMap((line) => {
    const [sum, path] = line.split(/\s+\*?/) as [string, string];
    const actual = createHash("sha256").update(vectorBytes(folder, path)).digest("hex");
    return actual === sum ? [] : [path];
  });
}

/** An OCI image layout vector (image-spec image-layout.md): index.json and content-addressed blobs. */
export class VectorLayout {
  readonly folder: string;
  readonly index: ImageIndex;

  constructor(folder: string) {
    this.folder = folder;
    this.index = JSON.parse(vectorText(folder, "oci-layout", "index.json")) as ImageIndex;
  }

  blob(digest: string): Uint8Array {
    return vectorBytes(this.folder, "oci-layout", "blobs", ...digest.split(":"));
  }

  json<T>(digest: string): T {
    return JSON.parse(new TextDecoder().decode(this.blob(digest))) as T;
  }

  /** The descriptor tagged `tag` in index.json. */
  tagged(tag: string): Descriptor {
    const found = this.index.manifests.find(
      (m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag,
    );
    if (!found) throw new Error(`${this.folder}: no manifest tagged ${tag}`);
    return found;
  }

  /** Subject as a verifier receives it: mediaType, digest and size only. */
  subject(tag = "v1"): Descriptor {
    const { mediaType, digest, size } = this.tagged(tag);
    return { mediaType, digest, size };
  }

  /** Referrers listed by the tag-schema fallback index `sha256-<hex>` of the subject. */
  fallbackReferrers(subject: Descriptor): Descriptor[] {
    const index = this.json<ImageIndex>(this.tagged(subject.digest.replace(":", "-")).digest);
    return [...index.manifests];
  }

  /** Every image manifest in index.json whose `subject` is the given digest. */
  manifestsWithSubject(digest: string): Descriptor[] {
    return this.index.manifests.filter(
      (m) =>
        m.mediaType.endsWith("manifest.v1+json") &&
        this.json<ImageManifest>(m.digest).subject?.digest === digest,
    );
  }
}
