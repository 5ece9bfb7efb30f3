// An OCI image layout directory as a Target (image-spec image-layout.md): `oci-layout`, `index.json`
// listing tagged and root manifests, and content-addressed `blobs/<alg>/<hex>`.
import type { Descriptor, Manifest } from "../descriptor.ts";
import { digestOf, isDigest, parseDigest } from "../digest.ts";
import { ManifestTooLargeError } from "../errors.ts";
import { isTag } from "../grammar.ts";
import { children, isImageIndex, parseManifest } from "../manifest-schema.ts";
import { ManifestAccept, MediaType } from "../media-types.ts";
import { referrerDescriptor, referrersTag } from "../referrers-index.ts";
import type { FetchedManifest, PushedManifest, Target } from "../target.ts";
import { verifiedStream, verifyBytes } from "./blobs.ts";
import { LayoutError, LayoutNotFoundError } from "./errors.ts";
import { isNotFound, type LayoutFileSystem } from "./file-system.ts";
import {
  emptyLayoutIndex,
  findByDigest,
  findTagged,
  type LayoutIndex,
  parseLayoutIndex,
  serializeLayoutIndex,
  tagOf,
  withoutReachedUntagged,
  withTag,
  withUntagged,
} from "./index-json.ts";
import { filterByArtifactType, isFallbackIndex, mergeFallbackIndex, unionReferrers } from "./referrers.ts";

/** The same cap the registry client applies: a manifest is small, a multi-megabyte one is hostile. */
export const LAYOUT_MANIFEST_LIMIT = 4 * 1024 * 1024;
const LAYOUT_VERSION = new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}');

export interface OciLayoutOptions {
  readonly fileSystem: LayoutFileSystem;
  /** Shown in messages: `oci-layout:/path/to/dir`. */
  readonly name: string;
}

export class OciLayout implements Target {
  readonly name: string;
  readonly #fs: LayoutFileSystem;
  /** index.json is read-modify-written: updates from this process go one at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: OciLayoutOptions) {
    this.name = options.name;
    this.#fs = options.fileSystem;
  }

  /** The parsed index.json; an empty index when the directory holds no layout yet. */
  async readIndex(): Promise<LayoutIndex> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#fs.readFile("index.json");
    } catch (error) {
      if (isNotFound(error)) return emptyLayoutIndex();
      throw error;
    }
    try {
      return parseLayoutIndex(bytes);
    } catch (error) {
      throw new LayoutError("MANIFEST_INVALID", `${this.name}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async resolve(reference: string): Promise<Descriptor> {
    const index = await this.readIndex();
    if (!isDigest(reference)) {
      if (!isTag(reference))
        throw new LayoutError("NAME_INVALID", `invalid tag ${JSON.stringify(reference)}`);
      const entry = findTagged(index, reference);
      if (!entry) throw new LayoutNotFoundError("MANIFEST_UNKNOWN", `${this.name}: no tag ${reference}`);
      return bare(entry);
    }
    const entry = findByDigest(index, reference);
    if (entry) return bare(entry);
    // Children of an index and cosign signatures live in blobs/ without an index.json entry.
    const bytes = await this.#readManifestBlob({ mediaType: "", digest: reference, size: -1 });
    const manifest = parseManifest(bytes, undefined, `${this.name}@${reference}`);
    const mediaType =
      manifest.mediaType ?? (isImageIndex(manifest) ? MediaType.OciIndex : MediaType.OciManifest);
    return { mediaType, digest: reference, size: bytes.byteLength };
  }

  async fetchManifest(reference: string): Promise<FetchedManifest> {
    const descriptor = await this.resolve(reference);
    const bytes = await this.#readManifestBlob(descriptor);
    const manifest = parseManifest(bytes, descriptor.mediaType, `${this.name}@${descriptor.digest}`);
    return {
      descriptor: {
        mediaType: manifest.mediaType ?? descriptor.mediaType,
        digest: descriptor.digest,
        size: bytes.byteLength,
      },
      bytes,
      manifest,
    };
  }

  async pushManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<PushedManifest> {
    if (tag !== undefined && !isTag(tag)) {
      throw new LayoutError("NAME_INVALID", `invalid tag ${JSON.stringify(tag)}`);
    }
    if (bytes.byteLength > LAYOUT_MANIFEST_LIMIT) {
      throw new ManifestTooLargeError(this.name, LAYOUT_MANIFEST_LIMIT, bytes.byteLength);
    }
    const node = parseManifest(bytes, mediaType);
    const descriptor: Descriptor = { mediaType, digest: await digestOf(bytes), size: bytes.byteLength };
    await this.#writeBlob(descriptor, bytes);
    await this.#updateIndex(async (index) => {
      let next = tag === undefined ? withUntagged(index, descriptor) : withTag(index, descriptor, tag);
      if (isImageIndex(node)) {
        next = withoutReachedUntagged(
          next,
          node.manifests.map((child) => child.digest),
        );
      }
      if (node.subject)
        next = await this.#withFallbackEntry(next, node.subject, referrerDescriptor(descriptor, node));
      return next;
    });
    // A layout indexes every subject it stores (see referrers.ts), as a registry answering
    // `OCI-Subject` would: callers need no fallback update of their own.
    return node.subject ? { descriptor, subjectHeader: node.subject.digest } : { descriptor };
  }

  async hasManifest(digest: string): Promise<boolean> {
    return this.hasBlob(digest);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return this.#fs.exists(blobPath(digest));
  }

  async fetchBlob(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const path = blobPath(descriptor.digest);
    try {
      if (this.#fs.readStream) return verifiedStream(await this.#fs.readStream(path), descriptor, "blob");
      const bytes = await this.#fs.readFile(path);
      await verifyBytes(bytes, descriptor, "blob");
      return new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
    } catch (error) {
      throw this.#notFound(error, "BLOB_UNKNOWN", descriptor.digest);
    }
  }

  async pushBlob(descriptor: Descriptor, content: Uint8Array | ReadableStream<Uint8Array>): Promise<void> {
    if (await this.hasBlob(descriptor.digest)) {
      if (content instanceof ReadableStream) await content.cancel();
      return;
    }
    await this.#writeBlob(descriptor, content);
  }

  async tags(): Promise<string[]> {
    const index = await this.readIndex();
    const tags = index.manifests.map(tagOf).filter((tag): tag is string => tag !== undefined);
    return [...new Set(tags)];
  }

  async referrers(subject: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    const index = await this.readIndex();
    const fromFallback = await this.#fallbackReferrers(index, subject.digest);
    const fromScan: Descriptor[] = [];
    for (const entry of index.manifests) {
      if (!ManifestAccept.some((type) => type === entry.mediaType) || !(await this.hasBlob(entry.digest)))
        continue;
      const node = await this.#readNode(entry);
      if (node?.subject?.digest === subject.digest) fromScan.push(referrerDescriptor(bare(entry), node));
    }
    return filterByArtifactType(unionReferrers(fromFallback, fromScan), artifactType);
  }

  async #fallbackReferrers(index: LayoutIndex, subjectDigest: string): Promise<Descriptor[]> {
    const entry = findTagged(index, referrersTag(subjectDigest));
    if (!entry || !isFallbackIndex(entry) || !(await this.hasBlob(entry.digest))) return [];
    const node = await this.#readNode(entry);
    return node && isImageIndex(node) ? [...node.manifests] : [];
  }

  async #withFallbackEntry(
    index: LayoutIndex,
    subject: Descriptor,
    referrer: Descriptor,
  ): Promise<LayoutIndex> {
    const tag = referrersTag(subject.digest);
    const current = findTagged(index, tag);
    // Another tool's image under a digest-shaped tag is not ours to overwrite; the untagged
    // index.json entry still makes the referrer discoverable.
    if (current && !isFallbackIndex(current)) return index;
    const existing = current ? await this.#readNode(current) : undefined;
    const merged = mergeFallbackIndex(existing ? { manifests: children(existing) } : undefined, [referrer]);
    if (!merged) return index;
    const descriptor: Descriptor = {
      mediaType: MediaType.OciIndex,
      digest: await digestOf(merged),
      size: merged.length,
    };
    await this.#writeBlob(descriptor, merged);
    return withTag(index, descriptor, tag);
  }

  async #readNode(entry: Descriptor): Promise<Manifest | undefined> {
    if (entry.size > LAYOUT_MANIFEST_LIMIT) return undefined;
    return parseManifest(
      await this.#readManifestBlob(entry),
      entry.mediaType,
      `${this.name}@${entry.digest}`,
    );
  }

  /** Reads and verifies manifest bytes; a size of -1 means "not known yet" (resolving a bare digest). */
  async #readManifestBlob(descriptor: Descriptor): Promise<Uint8Array> {
    const what = `${this.name}: manifest ${descriptor.digest}`;
    if (descriptor.size > LAYOUT_MANIFEST_LIMIT) {
      throw new ManifestTooLargeError(what, LAYOUT_MANIFEST_LIMIT, descriptor.size);
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.#fs.readFile(blobPath(descriptor.digest));
    } catch (error) {
      throw this.#notFound(error, "MANIFEST_UNKNOWN", descriptor.digest);
    }
    if (bytes.byteLength > LAYOUT_MANIFEST_LIMIT) {
      throw new ManifestTooLargeError(what, LAYOUT_MANIFEST_LIMIT, bytes.byteLength);
    }
    await verifyBytes(
      bytes,
      descriptor.size < 0 ? { ...descriptor, size: bytes.byteLength } : descriptor,
      "manifest",
    );
    return bytes;
  }

  async #writeBlob(descriptor: Descriptor, content: Uint8Array | ReadableStream<Uint8Array>): Promise<void> {
    await this.#ensureLayout();
    if (content instanceof Uint8Array) {
      await verifyBytes(content, descriptor, "blob");
      await this.#fs.writeFile(blobPath(descriptor.digest), content);
    } else {
      await this.#fs.writeFile(blobPath(descriptor.digest), verifiedStream(content, descriptor, "blob"));
    }
  }

  async #ensureLayout(): Promise<void> {
    if (await this.#fs.exists("oci-layout")) return;
    await this.#fs.mkdir("blobs");
    await this.#fs.writeFile("oci-layout", LAYOUT_VERSION);
  }

  #updateIndex(update: (index: LayoutIndex) => Promise<LayoutIndex>): Promise<void> {
    const run = this.#queue.then(async () => {
      const index = await this.readIndex();
      const next = await update(index);
      if (next !== index || !(await this.#fs.exists("index.json"))) {
        await this.#fs.writeFile("index.json", serializeLayoutIndex(next));
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #notFound(error: unknown, code: string, digest: string): unknown {
    if (!isNotFound(error)) return error;
    const what = code === "BLOB_UNKNOWN" ? "blob" : "manifest";
    return new LayoutNotFoundError(code, `${this.name}: ${what} ${digest} not found`, { cause: error });
  }
}

function blobPath(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `blobs/${algorithm}/${encoded}`;
}

function bare(entry: Descriptor): Descriptor {
  const { mediaType, digest, size } = entry;
  return entry.artifactType
    ? { mediaType, digest, size, artifactType: entry.artifactType }
    : { mediaType, digest, size };
}
