// Tags that several writers keep up to date by read-modify-write: the referrers tag schema's `<alg>-<hex>`
// index and cosign's `sha256-<hex>.sig`. distribution-spec leaves their concurrency to clients, and
// last-writer-wins loses updates: 50 processes signing one image on distribution 2.8 lost 38–87% of the
// signatures they reported, and that registry ignores If-Match. What keeps every entry here:
//  1. a write is made from a read at most `maxBaseAgeMs` old (older: read again), with If-Match where the
//     registry has been seen to refuse a wrong one;
//  2. after writing, read again once the settle time has passed: longer than any writer's read-to-write
//     window, so a writer that read before our write has written by then, and we see what it did. Our own
//     windows are the measure (a loaded machine or registry stretches everyone's): four times the
//     longest we saw, at least `settleMs`;
//  3. merge again what of ours is missing, and every entry we saw that another writer dropped, and write,
//     with jittered backoff, until a read made after our last write lists it; bounded, then
//     UnconfirmedWriteError (transient: the caller tries again later).
import type { Descriptor, Manifest } from "../descriptor.ts";
import { RegistryError } from "../errors.ts";
import { putAfterBlobRaces } from "./blob-race.ts";
import { getManifest, putManifest } from "./manifests.ts";
import type { RepositoryContext } from "./repository-context.ts";
import { sleep } from "./retry.ts";

export interface SharedTagPolicy {
  /** Oldest read a write may be based on. */
  readonly maxBaseAgeMs: number;
  /** Least wait after the last write before the confirming read. */
  readonly settleMs: number;
  /** Up to this much more, at random, so that writers that collided do not collide again. */
  readonly jitterMs: number;
  /** Confirming reads before giving up. */
  readonly rounds: number;
}

export const DEFAULT_SHARED_TAG_POLICY: SharedTagPolicy = {
  maxBaseAgeMs: 500,
  settleMs: 500,
  jitterMs: 300,
  rounds: 8,
};

/** A manifest under a shared tag, as read or as about to be written. */
export interface TagContent {
  readonly manifest: Manifest;
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  /** Blobs that must exist before the manifest is written (a `.sig` manifest's config). */
  readonly blobs?: readonly TagBlob[];
}

export interface TagBlob {
  readonly descriptor: Descriptor;
  readonly bytes: Uint8Array;
  /** New content (a `.sig` config): uploaded without asking first. Else asked for unless known present. */
  readonly knownAbsent?: boolean;
}

/** What a tag holds now: undefined when the tag does not exist. */
export interface TagRead {
  readonly current: TagContent | undefined;
  /** `current`'s descriptor, as the registry's answer (or our PUT) gave it. */
  readonly descriptor: Descriptor | undefined;
  readonly etag: string | undefined;
  /** performance.now() when the read was answered. */
  readonly readAt: number;
}

/**
 * One writer's change: `apply` returns what to write given what is there (undefined: nothing to change),
 * and must be repeatable on any later state; `holds` says whether a state already contains it.
 */
export interface TagEdit {
  apply(current: TagContent | undefined): Promise<TagContent | undefined>;
  holds(current: TagContent | undefined): boolean;
  /**
   * For a tag whose entries are only ever added (a referrers index, a `.sig`): `from`'s entries missing
   * from `into` added to it (undefined when none are missing). With it, the read-back restores every
   * entry this writer has seen, not only its own: a signature a stale writer dropped comes back with
   * whichever writer confirms next.
   */
  union?(into: TagContent | undefined, from: TagContent): Promise<TagContent | undefined>;
}

export interface TagUpdate {
  /** False when the tag already held the edit (no write). */
  readonly changed: boolean;
  /** The manifest now under the tag (undefined if there is none). */
  readonly descriptor: Descriptor | undefined;
  /** Conditional writes the registry refused (412) before this one went through. */
  readonly conflicts: number;
}

export class UnconfirmedWriteError extends Error {
  readonly tag: string;
  constructor(what: string, tag: string, rounds: number) {
    super(
      `${what}: our entry was still missing from ${tag} after ${rounds} re-reads (other writers keep ` +
        "overwriting it); the signature is written but not listed, try again",
    );
    this.name = "UnconfirmedWriteError";
    this.tag = tag;
  }
}

/** Pushes a blob; `check` asks the registry first even for a blob known present or new. */
type PushBlob = (blob: TagBlob, check: boolean) => Promise<void>;

/** Per repository: the last read of each shared tag, and our edits that a read has not yet confirmed. */
export class SharedTags {
  readonly #ctx: RepositoryContext;
  readonly #policy: SharedTagPolicy;
  readonly #pushBlob: PushBlob;
  readonly #reads = new Map<string, TagRead>();
  readonly #pending = new Map<string, { edits: TagEdit[]; lastWriteAt: number; what: string }>();
  /** Per tag, every entry seen in a read or written, where the edits can say (TagEdit.union). */
  readonly #seen = new Map<string, TagContent>();
  /** The longest read-to-write window of ours seen here (base read answered to PUT answered). */
  #window = 0;

  constructor(ctx: RepositoryContext, pushBlob: PushBlob, policy: Partial<SharedTagPolicy> = {}) {
    this.#ctx = ctx;
    this.#pushBlob = pushBlob;
    this.#policy = { ...DEFAULT_SHARED_TAG_POLICY, ...policy };
  }

  /** The tag's content, from the last read while it is fresh enough to write from, else read again. */
  async read(tag: string, options: { readonly fresh?: boolean } = {}): Promise<TagRead> {
    const known = this.#reads.get(tag);
    if (
      !options.fresh &&
      known !== undefined &&
      performance.now() - known.readAt <= this.#policy.maxBaseAgeMs
    )
      return known;
    let read: TagRead;
    try {
      const fetched = await getManifest(this.#ctx, tag);
      const { manifest, bytes, descriptor, etag } = fetched;
      read = {
        current: { manifest, bytes, mediaType: descriptor.mediaType },
        descriptor,
        etag,
        readAt: performance.now(),
      };
    } catch (error) {
      if (!(error instanceof RegistryError && error.status === 404)) throw error;
      read = { current: undefined, descriptor: undefined, etag: undefined, readAt: performance.now() };
    }
    this.#reads.set(tag, read);
    await this.#see(tag, read.current);
    return read;
  }

  async #see(tag: string, content: TagContent | undefined): Promise<void> {
    const union = this.#pending.get(tag)?.edits.find((edit) => edit.union !== undefined)?.union;
    if (content === undefined || union === undefined) return;
    const seen = this.#seen.get(tag);
    this.#seen.set(tag, seen === undefined ? content : ((await union(seen, content)) ?? seen));
  }

  /** Applies `edit` to the tag (read-modify-write) and remembers it until settle() confirms it. */
  async update(tag: string, edit: TagEdit, what: string): Promise<TagUpdate> {
    const result = await this.#write(tag, [edit]);
    const { changed } = result;
    // Already there: whoever wrote it confirms it.
    if (!changed) return result;
    const pending = this.#pending.get(tag) ?? { edits: [], lastWriteAt: 0, what };
    pending.edits.push(edit);
    pending.lastWriteAt = performance.now();
    this.#pending.set(tag, pending);
    await this.#see(tag, this.#reads.get(tag)?.current);
    return result;
  }

  /** Until a read made `settleMs` after our last write shows every edit of ours, merge and write again. */
  async settle(): Promise<void> {
    for (const [tag, pending] of this.#pending) {
      for (let round = 0; ; round++) {
        if (round >= this.#policy.rounds) throw new UnconfirmedWriteError(pending.what, tag, round);
        const settle = Math.max(this.#policy.settleMs, 4 * this.#window);
        const due = pending.lastWriteAt + settle + Math.random() * this.#policy.jitterMs;
        await sleep(due - performance.now());
        const seen = this.#seen.get(tag);
        const { current } = await this.read(tag, { fresh: true });
        const missing = pending.edits.filter((edit) => !edit.holds(current));
        const union = pending.edits.find((edit) => edit.union !== undefined)?.union;
        const lost = seen !== undefined && union !== undefined && (await union(current, seen)) !== undefined;
        if (missing.length === 0 && !lost) break;
        const restore: TagEdit[] =
          lost && seen !== undefined && union !== undefined
            ? [{ apply: (content) => union(content, seen), holds: () => false }]
            : [];
        if ((await this.#write(tag, [...restore, ...missing])).changed)
          pending.lastWriteAt = performance.now();
      }
      this.#pending.delete(tag);
      this.#seen.delete(tag);
    }
  }

  async #write(tag: string, edits: readonly TagEdit[]): Promise<TagUpdate> {
    let rereadForEtag = false;
    for (let conflicts = 0; ; conflicts++) {
      const base = await this.read(tag);
      // Our own last write carries no ETag: where If-Match works, fetch one before writing again.
      if (
        this.#ctx.capabilities.conditionalWrites &&
        base.current !== undefined &&
        base.etag === undefined &&
        !rereadForEtag
      ) {
        rereadForEtag = true;
        this.#reads.delete(tag);
        continue;
      }
      let next: TagContent | undefined = base.current;
      let changed = false;
      for (const edit of edits) {
        const edited = await edit.apply(next);
        if (edited !== undefined) {
          next = edited;
          changed = true;
        }
      }
      if (!changed || next === undefined) return { changed: false, descriptor: base.descriptor, conflicts };
      const blobs = next.blobs ?? [];
      for (const blob of blobs) await this.#pushBlob(blob, false);
      // Rule 1: pushing blobs took time; a base that has grown too old is read again first.
      if (performance.now() - base.readAt > this.#policy.maxBaseAgeMs) {
        this.#reads.delete(tag);
        continue;
      }
      const ifMatch = await this.#ifMatch(base);
      try {
        const content = next;
        const { descriptor } = await putAfterBlobRaces(
          () =>
            putManifest(this.#ctx, content.bytes, content.mediaType, tag, {
              ...(ifMatch !== undefined && { ifMatch }),
            }),
          async () => {
            for (const blob of blobs) await this.#pushBlob(blob, true);
          },
        );
        if (ifMatch !== undefined && ifMatch !== base.etag) {
          // The probe's wrong ETag was accepted: this registry ignores If-Match. The write itself was
          // made from a fresh read, which is all an unconditional write could be.
          this.#ctx.capabilities.conditionalWrites = false;
        }
        this.#window = Math.max(this.#window, performance.now() - base.readAt);
        // What we wrote is the new base, as old as the read it was made from.
        this.#reads.set(tag, { current: next, descriptor, etag: undefined, readAt: base.readAt });
        return { changed: true, descriptor, conflicts };
      } catch (error) {
        // The write may have been applied even though its answer is lost: the base is no base any more.
        this.#reads.delete(tag);
        if (!(error instanceof RegistryError && error.status === 412) || conflicts >= this.#policy.rounds)
          throw error;
        if (ifMatch !== base.etag) this.#ctx.capabilities.conditionalWrites = true;
        // Someone wrote since our read (or this was the probe): read again and re-apply.
      }
    }
  }

  /**
   * The If-Match to send: the base's ETag where the registry honours it; where that is not known yet,
   * a deliberately wrong one, once: a 412 proves the registry checks it (DESIGN.md: do not assume it
   * from a header), a 201 proves it does not.
   */
  async #ifMatch(base: TagRead): Promise<string | undefined> {
    const etag = base.etag;
    if (etag === undefined) return undefined;
    const known = this.#ctx.capabilities.conditionalWrites;
    if (known === false) return undefined;
    if (known === true) return etag;
    return `"countersign-probe-${crypto.randomUUID()}"`;
  }
}
