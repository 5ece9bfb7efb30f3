// Copy an image between two Targets (registry repositories, OCI layouts) as a walk of its descriptor
// graph (oras-go content.Copy): children before parents, so that a destination never holds a
// manifest whose blobs or child manifests are missing; referrers after their subject. Bytes are pushed
// exactly as fetched, so every digest is preserved; the only exception is an index filtered by
// platform, which necessarily gets new bytes.

import type { Descriptor, Manifest } from "../descriptor.ts";
import { digestOf, parseDigest } from "../digest.ts";
import { children, isImageIndex } from "../manifest-schema.ts";
import { isIndexMediaType } from "../media-types.ts";
import { formatPlatform, matchPlatform, type PlatformSpec } from "../platform.ts";
import { referrersTag } from "../referrers-index.ts";
import { type PushBlobOptions, Repository } from "../remote/repository.ts";
import type { FetchedManifest, Target } from "../target.ts";
import { listInFallbackIndex, type ReferrerEntry } from "./fallback.ts";
import { createLimiter, type Limiter } from "./limit.ts";

/** cosign's digest tags (`sha256-<hex>.sig` and its attestation and SBOM siblings). */
export const COSIGN_TAG_SUFFIXES = ["sig", "att", "sbom"] as const;

export interface CopyProgress {
  readonly kind: "blob" | "manifest" | "index";
  readonly descriptor: Descriptor;
  /** Bytes transferred: 0 for a skipped or mounted blob. */
  readonly bytes: number;
  /** Already at the destination. */
  readonly skipped: boolean;
  /** Mounted from another repository of the same registry instead of transferred. */
  readonly mounted: boolean;
  /** The tag given to it at the destination, if any. */
  readonly tag?: string;
  /** Why it was copied: the image itself, a referrer, a cosign digest tag, or a fallback index. */
  readonly role: "image" | "referrer" | "cosign-tag" | "fallback-index";
}

export interface CopyOptions {
  /** Also copy referrers (recursively) and cosign `sha256-<hex>.{sig,att,sbom}` tags. */
  readonly referrers?: boolean;
  /** Keep only these platforms of an index (absent or empty: all of them). */
  readonly platforms?: readonly PlatformSpec[];
  /** Tag for the copied image at the destination (none: stored by digest only). */
  readonly tag?: string;
  /** A repository on the destination's registry that may already hold the blobs (cross-repository mount). */
  readonly mountFrom?: string;
  /** Blob and manifest transfers in flight at once. */
  readonly concurrency?: number;
  readonly onProgress?: (event: CopyProgress) => void;
  /** While a blob streams: its bytes so far (often, a few times a megabyte) out of its size. */
  readonly onTransfer?: (event: TransferProgress) => void;
}

export interface TransferProgress {
  readonly descriptor: Descriptor;
  /** Bytes of this blob transferred so far; 0 when its transfer starts. */
  readonly transferred: number;
}

export interface CopyResult {
  /** The copied image at the destination (its digest differs from the source only when filtered). */
  readonly descriptor: Descriptor;
  readonly manifests: number;
  readonly blobs: number;
  readonly bytes: number;
  readonly skipped: number;
  readonly mounted: number;
  readonly referrers: number;
  readonly tags: readonly string[];
}

export class CopyError extends Error {
  override readonly name = "CopyError";
}

const DEFAULT_CONCURRENCY = 5;

export async function copy(
  source: Target,
  sourceReference: string,
  destination: Target,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const walk = new CopyWalk(source, destination, options);
  const root = await source.fetchManifest(sourceReference);
  const descriptor = await walk.copyRoot(root);
  return walk.result(descriptor);
}

type Role = CopyProgress["role"];

interface ManifestOutcome {
  /** It was at the destination already. */
  readonly present: boolean;
  /** The destination answered the PUT with `OCI-Subject` (or is a layout, which indexes by itself). */
  readonly subjectIndexed: boolean;
  readonly node?: Manifest;
}

class CopyWalk {
  readonly #source: Target;
  readonly #destination: Target;
  readonly #options: CopyOptions;
  readonly #limit: Limiter;
  /** One promise per digest, so shared blobs and manifests (diamonds, shared configs) move once. */
  readonly #blobs = new Map<string, Promise<void>>();
  readonly #manifests = new Map<string, Promise<ManifestOutcome>>();
  readonly #referrersWalked = new Set<string>();
  #sourceTags: Promise<Set<string>> | undefined;
  readonly #counts = { manifests: 0, blobs: 0, bytes: 0, skipped: 0, mounted: 0, referrers: 0 };
  readonly #tags: string[] = [];
  readonly #mountFrom: string | undefined;

  constructor(source: Target, destination: Target, options: CopyOptions) {
    this.#source = source;
    this.#destination = destination;
    this.#options = options;
    this.#limit = createLimiter(options.concurrency ?? DEFAULT_CONCURRENCY);
    this.#mountFrom = options.mountFrom ?? sameRegistrySource(source, destination);
  }

  async copyRoot(root: FetchedManifest): Promise<Descriptor> {
    const node = root.manifest;
    const selectors = this.#options.platforms ?? [];
    if (!isImageIndex(node) || selectors.length === 0) {
      await this.#copyManifest(root.descriptor, "image", this.#options.tag, root);
      return root.descriptor;
    }
    const kept = node.manifests.filter((child) =>
      selectors.some((wanted) => matchPlatform(child.platform, wanted)),
    );
    if (kept.length === 0) {
      throw new CopyError(
        `${this.#source.name}: no manifest in index ${root.descriptor.digest} matches ${selectors.map(formatPlatform).join(", ")}`,
      );
    }
    if (kept.length === node.manifests.length) {
      await this.#copyManifest(root.descriptor, "image", this.#options.tag, root);
      return root.descriptor;
    }
    const bytes = filteredIndex(root.bytes, kept);
    const descriptor = {
      mediaType: root.descriptor.mediaType,
      digest: await digestOf(bytes),
      size: bytes.length,
    };
    await this.#copyManifest(descriptor, "image", this.#options.tag, {
      bytes,
      manifest: { ...node, manifests: kept },
    });
    return descriptor;
  }

  result(descriptor: Descriptor): CopyResult {
    return { descriptor, ...this.#counts, tags: [...this.#tags] };
  }

  /** Copies a manifest and everything below it, then (with `referrers`) what refers to it. */
  async #copyManifest(
    descriptor: Descriptor,
    role: Role,
    tag?: string,
    known?: KnownManifest,
  ): Promise<ManifestOutcome> {
    const key = `${descriptor.digest}|${tag ?? ""}`;
    let pending = this.#manifests.get(key);
    if (!pending) {
      pending = this.#copyManifestOnce(descriptor, role, tag, known);
      this.#manifests.set(key, pending);
    }
    return pending;
  }

  async #copyManifestOnce(
    descriptor: Descriptor,
    role: Role,
    tag?: string,
    known?: KnownManifest,
  ): Promise<ManifestOutcome> {
    const present = await this.#limit(() => this.#destination.hasManifest(descriptor.digest));
    const isIndex = isIndexMediaType(descriptor.mediaType);
    // A present index is still walked when referrers are wanted: its children may have new ones.
    const needBytes = !present || tag !== undefined || (isIndex && this.#options.referrers === true);
    const fetched = needBytes
      ? (known ?? (await this.#limit(() => this.#source.fetchManifest(descriptor.digest))))
      : undefined;
    const bytes = fetched?.bytes;
    const node = fetched?.manifest;
    if (node && isImageIndex(node)) {
      await Promise.all(node.manifests.map((child) => this.#copyManifest(child, role)));
    } else if (node && !present) {
      await Promise.all(children(node).map((child) => this.#copyBlob(child, role)));
    }
    let subjectIndexed = false;
    if (bytes && (!present || tag !== undefined)) {
      const body = bytes;
      const pushed = await this.#limit(() => this.#destination.pushManifest(body, descriptor.mediaType, tag));
      subjectIndexed = pushed.subjectHeader !== undefined;
      if (tag !== undefined) this.#tags.push(tag);
    }
    const skipped = present && tag === undefined;
    this.#counts.manifests++;
    if (skipped) this.#counts.skipped++;
    this.#report({
      kind: (node && isImageIndex(node)) || isIndex ? "index" : "manifest",
      descriptor,
      bytes: present ? 0 : descriptor.size,
      skipped,
      mounted: false,
      role,
      ...(tag === undefined ? {} : { tag }),
    });
    if (this.#options.referrers) await this.#copyReferrersOf(descriptor);
    return { present, subjectIndexed, ...(node ? { node } : {}) };
  }

  async #copyBlob(descriptor: Descriptor, role: Role): Promise<void> {
    let pending = this.#blobs.get(descriptor.digest);
    if (!pending) {
      pending = this.#limit(() => this.#copyBlobOnce(descriptor, role));
      this.#blobs.set(descriptor.digest, pending);
    }
    await pending;
  }

  async #copyBlobOnce(descriptor: Descriptor, role: Role): Promise<void> {
    this.#counts.blobs++;
    const mountFrom = this.#mountFrom;
    // A mount answers 201 for a blob the destination already has, so it needs no HEAD before it.
    if (mountFrom === undefined && (await this.#destination.hasBlob(descriptor.digest))) {
      this.#counts.skipped++;
      this.#report({ kind: "blob", descriptor, bytes: 0, skipped: true, mounted: false, role });
      return;
    }
    let transferred = 0;
    let fetched = false;
    // The content stream opens the source only when the destination reads it: a successful mount
    // never touches the source.
    const onTransfer = this.#options.onTransfer;
    const content = lazyStream(async () => {
      fetched = true;
      const stream = await this.#source.fetchBlob(descriptor);
      onTransfer?.({ descriptor, transferred: 0 });
      return stream.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            transferred += chunk.byteLength;
            onTransfer?.({ descriptor, transferred });
            controller.enqueue(chunk);
          },
        }),
      );
    });
    const options: PushBlobOptions = mountFrom === undefined ? { knownAbsent: true } : { mountFrom };
    await this.#destination.pushBlob(descriptor, content, options);
    const mounted = mountFrom !== undefined && !fetched;
    if (!fetched) await content.cancel().catch(() => undefined);
    if (mounted) this.#counts.mounted++;
    this.#counts.bytes += transferred;
    this.#report({ kind: "blob", descriptor, bytes: transferred, skipped: false, mounted, role });
  }

  async #copyReferrersOf(subject: Descriptor): Promise<void> {
    if (this.#referrersWalked.has(subject.digest)) return;
    this.#referrersWalked.add(subject.digest);
    const [referrers, cosignTags] = await Promise.all([
      this.#limit(() => this.#source.referrers(subject)),
      this.#cosignTagsOf(subject.digest),
    ]);
    const [outcomes] = await Promise.all([
      Promise.all(referrers.map((referrer) => this.#copyManifest(referrer, "referrer"))),
      Promise.all(cosignTags.map((tag) => this.#copyCosignTag(tag))),
    ]);
    this.#counts.referrers += referrers.length;
    const unindexed: ReferrerEntry[] = referrers
      .map((referrer, i) => ({ descriptor: referrer, outcome: outcomes[i]! }))
      .filter(({ outcome }) => !outcome.present && !outcome.subjectIndexed)
      .map(({ descriptor, outcome }) =>
        outcome.node ? { descriptor, manifest: outcome.node } : { descriptor },
      );
    // Referrers already at the destination were pushed by an earlier run or another tool: list those
    // the destination does not report (an interrupted copy left them out of its fallback index).
    if (outcomes.some((outcome) => outcome.present)) {
      const listed = new Set(
        (await this.#limit(() => this.#destination.referrers(subject))).map((d) => d.digest),
      );
      const missing = referrers.filter((referrer, i) => outcomes[i]!.present && !listed.has(referrer.digest));
      unindexed.push(...missing.map((descriptor) => ({ descriptor })));
    }
    if (unindexed.length > 0) await this.#updateFallbackIndex(subject, unindexed);
  }

  async #updateFallbackIndex(subject: Descriptor, referrers: readonly ReferrerEntry[]): Promise<void> {
    const pushed = await this.#limit(() => listInFallbackIndex(this.#destination, subject, referrers));
    if (!pushed) return;
    this.#report({
      kind: "index",
      descriptor: pushed,
      bytes: pushed.size,
      skipped: false,
      mounted: false,
      role: "fallback-index",
      tag: referrersTag(subject.digest),
    });
  }

  async #copyCosignTag(tag: string): Promise<void> {
    const fetched = await this.#limit(() => this.#source.fetchManifest(tag));
    await this.#copyManifest(fetched.descriptor, "cosign-tag", tag, fetched);
  }

  async #cosignTagsOf(digest: string): Promise<string[]> {
    const { algorithm, encoded } = parseDigest(digest);
    this.#sourceTags ??= this.#limit(() => this.#source.tags()).then((tags) => new Set(tags));
    const tags = await this.#sourceTags;
    return COSIGN_TAG_SUFFIXES.map((suffix) => `${algorithm}-${encoded}.${suffix}`).filter((tag) =>
      tags.has(tag),
    );
  }

  #report(event: CopyProgress): void {
    this.#options.onProgress?.(event);
  }
}

/** A manifest already in hand (the root, a filtered index): copied without fetching it again. */
type KnownManifest = Pick<FetchedManifest, "bytes" | "manifest">;

/** Blobs can be mounted (distribution-spec end-11) between repositories of one registry. */
function sameRegistrySource(source: Target, destination: Target): string | undefined {
  return source instanceof Repository &&
    destination instanceof Repository &&
    source.registry === destination.registry &&
    source.repository !== destination.repository
    ? source.repository
    : undefined;
}

/** The index with only `kept` in `manifests`; every other field as it was. */
function filteredIndex(bytes: Uint8Array, kept: readonly Descriptor[]): Uint8Array {
  const index = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  return new TextEncoder().encode(JSON.stringify({ ...index, manifests: kept }));
}

function lazyStream(open: () => Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= (await open()).getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await reader?.cancel(reason);
      },
      // highWaterMark 0: no pull, and so no source request, before the destination reads.
    },
    { highWaterMark: 0 },
  );
}
