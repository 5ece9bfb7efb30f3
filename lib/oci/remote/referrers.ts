// Referrers (distribution-spec 1.1 "Listing Referrers", "Unavailable Referrers API", "Referrers Tag
// Schema"): the API where the registry has it, else an image index under the tag `<alg>-<hex>`, which
// clients keep up to date themselves, serialised per subject through a SubjectLock and, where the
// registry honours it, guarded by `If-Match` on the index's ETag.
import type { Descriptor, ImageIndex, Manifest } from "../descriptor.ts";
import { parseDigest } from "../digest.ts";
import { RegistryProtocolError } from "../errors.ts";
import { ImageIndexSchema, isImageIndex, parseJson } from "../manifest-schema.ts";
import { isIndexMediaType, MediaType } from "../media-types.ts";
import { referrerDescriptor, referrersTag } from "../referrers-index.ts";
import type { SubjectLock } from "../subject-lock.ts";
import { nextLink } from "./link.ts";
import type { RepositoryContext } from "./repository-context.ts";
import { referrersUrl } from "./routes.ts";
import type { SharedTags, TagContent, TagEdit } from "./shared-tag.ts";
import type { RegistryRequest } from "./transport.ts";

const MAX_PAGES = 1000;

/** The referrers API's answer, all pages, filtered; undefined when the registry has no API (404). */
export async function referrersFromApi(
  ctx: RepositoryContext,
  subjectDigest: string,
  artifactType?: string,
): Promise<Descriptor[] | undefined> {
  parseDigest(subjectDigest);
  const found: Descriptor[] = [];
  let url: string | undefined = referrersUrl(ctx, subjectDigest, artifactType);
  for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
    const request: RegistryRequest = {
      operation: "referrers.get",
      method: "GET",
      url,
      headers: { accept: MediaType.OciIndex },
      scopes: ctx.pullScopes,
    };
    const response = await ctx.transport.requestBytes(request, ctx.limits.manifestBytes);
    if (page === 0 && (response.status === 404 || response.status === 405)) {
      // A missing repository is no evidence about the registry: only cache a 404 on the route itself.
      const error = await ctx.transport.errorFrom(request, response);
      if (!error.hasCode("NAME_UNKNOWN")) ctx.capabilities.referrersApi = false;
      return undefined;
    }
    if (response.status !== 200) throw await ctx.transport.errorFrom(request, response);
    // cosign (go-containerregistry) and notation (oras-go) take the API as present only on a 200 with
    // exactly this content type, and read the tag schema otherwise: write where they will look.
    if (page === 0 && response.headers.get("content-type") !== MediaType.OciIndex) {
      ctx.capabilities.referrersApi = false;
      return undefined;
    }
    ctx.capabilities.referrersApi = true;
    const parsed = ImageIndexSchema.safeParse(parseJson(response.bytes, "referrers response"));
    if (!parsed.success) throw new RegistryProtocolError(`referrers of ${subjectDigest}: not an image index`);
    const applied = (response.headers.get("oci-filters-applied") ?? "").split(",").map((f) => f.trim());
    // Filtering is optional for registries: apply it here unless the registry says it did.
    const manifests = parsed.data.manifests as Descriptor[];
    found.push(
      ...(artifactType === undefined || applied.includes("artifactType")
        ? manifests
        : manifests.filter((m) => m.artifactType === artifactType)),
    );
    url = nextLink(response.headers.get("link"), url);
  }
  return found;
}

/** Whether the registry has the referrers API, asked once per registry and cached (a PUT header is no proof). */
export async function referrersCapability(ctx: RepositoryContext, probeDigest: string): Promise<boolean> {
  if (ctx.capabilities.referrersApi !== undefined) return ctx.capabilities.referrersApi;
  return (await referrersFromApi(ctx, probeDigest)) !== undefined;
}

export interface FallbackIndex {
  readonly index: ImageIndex;
  readonly descriptor: Descriptor;
  /** ETag of the stored index, for `If-Match`. */
  readonly etag: string | undefined;
}

/** The tag-schema index of `subject`, undefined when the tag does not exist. */
export async function readFallbackIndex(
  ctx: RepositoryContext,
  tags: SharedTags,
  subject: Descriptor,
  options: { readonly fresh?: boolean } = {},
): Promise<FallbackIndex | undefined> {
  const read = await tags.read(referrersTag(subject.digest), options);
  if (read.current === undefined || read.descriptor === undefined) return undefined;
  const manifests = entriesOf(ctx, subject, read.current);
  return {
    index: { ...(read.current.manifest as ImageIndex), manifests },
    descriptor: read.descriptor,
    etag: read.etag,
  };
}

/** Referrers through the API, or the tag schema when there is none (a broken tag index lists nothing). */
export async function listReferrers(
  ctx: RepositoryContext,
  tags: SharedTags,
  subject: Descriptor,
  artifactType?: string,
): Promise<Descriptor[]> {
  if (ctx.capabilities.referrersApi !== false) {
    const fromApi = await referrersFromApi(ctx, subject.digest, artifactType);
    if (fromApi !== undefined) return fromApi;
  }
  let fallback: FallbackIndex | undefined;
  try {
    fallback = await readFallbackIndex(ctx, tags, subject);
  } catch (error) {
    // "…and the tag schema does not return a valid image index, the client SHOULD assume that no referrers exist."
    if (error instanceof RegistryProtocolError) return [];
    throw error;
  }
  const manifests = (fallback?.index.manifests ?? []) as Descriptor[];
  return artifactType === undefined ? manifests : manifests.filter((m) => m.artifactType === artifactType);
}

export interface ReferrersIndexUpdate {
  /** False when the index already said what was asked (no write). */
  readonly changed: boolean;
  /** The index now under the referrers tag (undefined if there is none). */
  readonly index: Descriptor | undefined;
  /** Conditional writes the registry refused (412) before this one went through. */
  readonly conflicts: number;
}

/** Appends `manifest`'s descriptor to `subject`'s tag-schema index; a no-op when listed already. */
export function addReferrer(
  ctx: RepositoryContext,
  lock: SubjectLock,
  tags: SharedTags,
  subject: Descriptor,
  manifestDescriptor: Descriptor,
  manifest: Manifest,
): Promise<ReferrersIndexUpdate> {
  const entry = referrerDescriptor(manifestDescriptor, manifest);
  const listed = (index: TagContent | undefined) =>
    entriesOf(ctx, subject, index).some((m) => m.digest === entry.digest);
  return updateFallbackIndex(ctx, lock, tags, subject, {
    holds: listed,
    apply: async (index) =>
      listed(index) ? undefined : indexContent(index, [...entriesOf(ctx, subject, index), entry]),
    // Entries are only added here: one another writer dropped is put back (by digest).
    async union(into, from) {
      const present = entriesOf(ctx, subject, into);
      const missing = entriesOf(ctx, subject, from).filter(
        (m) => !present.some((p) => p.digest === m.digest),
      );
      return missing.length === 0 ? undefined : indexContent(into, [...present, ...missing]);
    },
  });
}

/** Removes `digest` from `subject`'s tag-schema index (after deleting a referrer); a no-op when absent. */
export function removeReferrer(
  ctx: RepositoryContext,
  lock: SubjectLock,
  tags: SharedTags,
  subject: Descriptor,
  digest: string,
): Promise<ReferrersIndexUpdate> {
  const absent = (index: TagContent | undefined) =>
    !entriesOf(ctx, subject, index).some((m) => m.digest === digest);
  return updateFallbackIndex(ctx, lock, tags, subject, {
    holds: absent,
    apply: async (index) =>
      absent(index)
        ? undefined
        : indexContent(
            index,
            entriesOf(ctx, subject, index).filter((m) => m.digest !== digest),
          ),
  });
}

function updateFallbackIndex(
  ctx: RepositoryContext,
  lock: SubjectLock,
  tags: SharedTags,
  subject: Descriptor,
  edit: TagEdit,
): Promise<ReferrersIndexUpdate> {
  parseDigest(subject.digest);
  const key = `${ctx.registry}/${ctx.repository}@${subject.digest}`;
  const tag = referrersTag(subject.digest);
  return lock.withLock(key, async () => {
    const { changed, descriptor, conflicts } = await tags.update(
      tag,
      edit,
      `referrers index ${ctx.repository}:${tag}`,
    );
    return { changed, index: descriptor, conflicts };
  });
}

/** The entries of a tag-schema index as read; a tag holding anything else is not ours to overwrite. */
function entriesOf(ctx: RepositoryContext, subject: Descriptor, index: TagContent | undefined): Descriptor[] {
  if (index === undefined) return [];
  if (!isIndexMediaType(index.mediaType) || !isImageIndex(index.manifest)) {
    const tag = referrersTag(subject.digest);
    throw new RegistryProtocolError(
      `referrers index ${ctx.repository}:${tag} is a ${index.mediaType}, not an image index`,
    );
  }
  return index.manifest.manifests as Descriptor[];
}

function indexContent(current: TagContent | undefined, manifests: Descriptor[]): TagContent {
  const index = { ...(current?.manifest ?? {}), schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  return {
    manifest: index as ImageIndex,
    bytes: new TextEncoder().encode(JSON.stringify(index)),
    mediaType: MediaType.OciIndex,
  };
}
