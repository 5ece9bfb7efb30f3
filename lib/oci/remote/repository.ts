// A repository of a registry as a Target (oras-go's `registry/remote` Repository): every operation is
// one of the function modules beside it (blobs, blob uploads, manifests, referrers, tags), run with the
// repository's context and the registry client's transport, token cache and learnt capabilities.

import type { Descriptor, Manifest } from "../descriptor.ts";
import { isDigest } from "../digest.ts";
import { EmptyJson, MediaType } from "../media-types.ts";
import { Reference } from "../reference.ts";
import type { SubjectLock } from "../subject-lock.ts";
import type { PushedManifest, Target } from "../target.ts";
import { cancelUpload, startMount, uploadBlob } from "./blob-upload.ts";
import { fetchBlob, headBlob, readBlob } from "./blobs.ts";
import {
  deleteManifest,
  type FetchedManifestWithEtag,
  getManifest,
  hasManifest,
  putManifest,
  resolveManifest,
} from "./manifests.ts";
import {
  addReferrer,
  type FallbackIndex,
  listReferrers,
  type ReferrersIndexUpdate,
  readFallbackIndex,
  referrersCapability,
  removeReferrer,
} from "./referrers.ts";
import type { RepositoryContext } from "./repository-context.ts";
import {
  type SharedTagPolicy,
  SharedTags,
  type TagEdit,
  type TagRead,
  type TagUpdate,
} from "./shared-tag.ts";
import { listTags } from "./tags.ts";

export interface PushBlobOptions {
  /** A repository of the same registry to mount the blob from (end-11), uploading if the registry declines. */
  readonly mountFrom?: string;
  /** Skip the HEAD that makes pushBlob a no-op for present blobs (the caller has just checked). */
  readonly knownAbsent?: boolean;
}

export class Repository implements Target {
  /** `127.0.0.1:5000/team/app`. */
  readonly name: string;
  readonly registry: string;
  readonly repository: string;
  readonly #ctx: RepositoryContext;
  readonly #lock: SubjectLock;
  readonly #tags: SharedTags;

  constructor(context: RepositoryContext, lock: SubjectLock, tagPolicy?: Partial<SharedTagPolicy>) {
    this.#ctx = context;
    this.#lock = lock;
    // A shared tag's blob is uploaded as it says (a `.sig` config is new content: no HEAD); after a
    // blob race (blob-race.ts) each is asked for again.
    this.#tags = new SharedTags(
      context,
      (blob, check) => {
        if (check) this.forgetBlobs([blob.descriptor.digest]);
        return this.pushBlob(blob.descriptor, blob.bytes, {
          knownAbsent: !check && blob.knownAbsent !== false,
        });
      },
      tagPolicy,
    );
    this.registry = context.registry;
    this.repository = context.repository;
    this.name = `${context.registry}/${context.repository}`;
  }

  /** A Reference into this repository, by tag or digest. */
  reference(tagOrDigest?: string): Reference {
    const base = new Reference(this.registry, this.repository);
    if (tagOrDigest === undefined) return base;
    return isDigest(tagOrDigest) ? base.withDigest(tagOrDigest) : base.withTag(tagOrDigest);
  }

  resolve(reference: string): Promise<Descriptor> {
    return resolveManifest(this.#ctx, reference);
  }

  /** GET and verify; also returns the registry's ETag. */
  fetchManifest(reference: string): Promise<FetchedManifestWithEtag> {
    return getManifest(this.#ctx, reference);
  }

  pushManifest(bytes: Uint8Array, mediaType: string, tag?: string): Promise<PushedManifest> {
    return putManifest(this.#ctx, bytes, mediaType, tag);
  }

  hasManifest(digest: string): Promise<boolean> {
    return hasManifest(this.#ctx, digest);
  }

  deleteManifest(digest: string): Promise<void> {
    return deleteManifest(this.#ctx, digest);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return (await headBlob(this.#ctx, digest)) !== undefined;
  }

  fetchBlob(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    return fetchBlob(this.#ctx, descriptor);
  }

  /** A small blob (config, payload) in memory, verified. */
  fetchBlobBytes(descriptor: Descriptor, limit = 4 * 1024 * 1024): Promise<Uint8Array> {
    return readBlob(this.#ctx, descriptor, limit);
  }

  async pushBlob(
    descriptor: Descriptor,
    content: Uint8Array | ReadableStream<Uint8Array>,
    options: PushBlobOptions = {},
  ): Promise<void> {
    let session: string | undefined;
    const known = `${this.repository}@${descriptor.digest}`;
    const { knownBlobs } = this.#ctx.capabilities;
    const present = async () => {
      knownBlobs.add(known);
      if (content instanceof ReadableStream) await content.cancel().catch(() => {});
    };
    if (options.mountFrom !== undefined && options.mountFrom !== this.repository) {
      const mount = await startMount(this.#ctx, descriptor.digest, options.mountFrom);
      if (mount.mounted) return present();
      session = mount.session;
    } else if (!options.knownAbsent) {
      if (knownBlobs.has(known)) return present();
      // Where a POST uploads a small blob in one request (201), asking first can only cost more.
      const oneRequest =
        this.#ctx.capabilities.singlePostUpload === true &&
        descriptor.size <= this.#ctx.limits.singlePostBytes;
      if (!oneRequest && (await headBlob(this.#ctx, descriptor.digest)) !== undefined) return present();
    }
    await uploadBlob(this.#ctx, descriptor, content, session);
    knownBlobs.add(known);
  }

  /** Notes blobs known present (a manifest just read lists them): pushBlob asks for them no more. */
  blobsPresent(digests: readonly string[]): void {
    for (const digest of digests) this.#ctx.capabilities.knownBlobs.add(`${this.repository}@${digest}`);
  }

  /** Forgets that blobs were seen here (a manifest PUT said one is unknown: garbage-collected since). */
  forgetBlobs(digests: readonly string[]): void {
    for (const digest of digests) this.#ctx.capabilities.knownBlobs.delete(`${this.repository}@${digest}`);
  }

  /** Cross-repository mount only: true when mounted, false when the registry declined (session cancelled). */
  async mountBlob(descriptor: Descriptor, from: string): Promise<boolean> {
    const mount = await startMount(this.#ctx, descriptor.digest, from);
    if (!mount.mounted) await cancelUpload(this.#ctx, mount.session);
    return mount.mounted;
  }

  tags(options: { readonly pageSize?: number } = {}): Promise<string[]> {
    return listTags(this.#ctx, options.pageSize);
  }

  referrers(subject: Descriptor, artifactType?: string): Promise<Descriptor[]> {
    return listReferrers(this.#ctx, this.#tags, subject, artifactType);
  }

  /** Whether the registry has the referrers API (asked once per registry, then cached). */
  referrersCapability(): Promise<boolean> {
    return referrersCapability(this.#ctx, EmptyJson.digest);
  }

  /** The tag-schema index of `subject` (`sha256-<hex>`) as the registry holds it now, undefined when there is none. */
  fallbackIndex(subject: Descriptor | string): Promise<FallbackIndex | undefined> {
    const digest = typeof subject === "string" ? subject : subject.digest;
    const probe = { mediaType: MediaType.OciManifest, digest, size: 0 };
    return readFallbackIndex(this.#ctx, this.#tags, probe, { fresh: true });
  }

  /** Adds a pushed manifest to `subject`'s tag-schema index, under the subject lock. */
  addReferrer(
    subject: Descriptor,
    manifestDescriptor: Descriptor,
    manifest: Manifest,
  ): Promise<ReferrersIndexUpdate> {
    return addReferrer(this.#ctx, this.#lock, this.#tags, subject, manifestDescriptor, manifest);
  }

  removeReferrer(subject: Descriptor, digest: string): Promise<ReferrersIndexUpdate> {
    return removeReferrer(this.#ctx, this.#lock, this.#tags, subject, digest);
  }

  /** A tag several writers keep by read-modify-write (cosign's `.sig`): its last read while fresh. */
  readSharedTag(tag: string): Promise<TagRead> {
    return this.#tags.read(tag);
  }

  /** Applies `edit` to a shared tag (the caller holds the subject's lock); settle() confirms it. */
  updateSharedTag(tag: string, edit: TagEdit, what: string): Promise<TagUpdate> {
    return this.#tags.update(tag, edit, what);
  }

  /**
   * Waits until a read made after our last write to each shared tag (tag-schema indexes, `.sig`) lists
   * what we wrote, merging again what another writer overwrote. Call it before reporting a signature
   * as written; UnconfirmedWriteError when other writers keep overwriting it (try again later).
   */
  settle(): Promise<void> {
    return this.#tags.settle();
  }
}
