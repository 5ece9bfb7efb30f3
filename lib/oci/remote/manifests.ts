// Manifests by tag or digest (distribution-spec "Pulling manifests", "Pushing Manifests"). Every manifest
// read is hashed here: a mismatch with the digest asked for, or with `Docker-Content-Digest`, fails the read.
// A PUT that failed ambiguously (no answer, or a 5xx the retries did not get past) may have landed all
// the same: the registry is asked what it holds under the reference before the failure is reported.
import type { Descriptor } from "../descriptor.ts";
import { digestOf, isDigest, parseDigest } from "../digest.ts";
import {
  DigestMismatchError,
  ManifestTooLargeError,
  RegistryConnectionError,
  RegistryError,
  RegistryProtocolError,
} from "../errors.ts";
import { parseManifest } from "../manifest-schema.ts";
import { ManifestAccept, MediaType } from "../media-types.ts";
import type { FetchedManifest, PushedManifest } from "../target.ts";
import type { RepositoryContext } from "./repository-context.ts";
import { isRetryableStatus } from "./retry.ts";
import { manifestUrl } from "./routes.ts";
import { BodyTooLargeError, type BufferedResponse, type RegistryRequest } from "./transport.ts";

const ACCEPT = ManifestAccept.join(", ");

export interface FetchedManifestWithEtag extends FetchedManifest {
  /** The registry's `ETag`, for a conditional overwrite (`If-Match`). */
  readonly etag: string | undefined;
}

export async function getManifest(
  ctx: RepositoryContext,
  reference: string,
): Promise<FetchedManifestWithEtag> {
  const cached = isDigest(reference)
    ? ctx.capabilities.manifests.get(`${ctx.repository}@${reference}`)
    : undefined;
  if (cached !== undefined) return { ...cached, etag: undefined };
  const fetched = await fetchManifestBytes(ctx, reference);
  if (isDigest(reference)) ctx.capabilities.manifests.set(`${ctx.repository}@${reference}`, fetched);
  return fetched;
}

async function fetchManifestBytes(
  ctx: RepositoryContext,
  reference: string,
): Promise<FetchedManifestWithEtag> {
  const request: RegistryRequest = {
    operation: "manifest.get",
    method: "GET",
    url: manifestUrl(ctx, reference),
    headers: { accept: ACCEPT },
    scopes: ctx.pullScopes,
  };
  const what = `manifest ${ctx.registry}/${ctx.repository}${isDigest(reference) ? "@" : ":"}${reference}`;
  let response: BufferedResponse;
  try {
    response = await ctx.transport.requestBytes(request, ctx.limits.manifestBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError)
      throw new ManifestTooLargeError(what, error.limit, error.declared);
    throw error;
  }
  if (response.status !== 200) throw await ctx.transport.errorFrom(request, response);
  const bytes = response.bytes;
  const digest = await verifyManifestDigest(
    what,
    reference,
    bytes,
    response.headers.get("docker-content-digest"),
  );
  const mediaType = manifestMediaType(response.headers.get("content-type"), bytes);
  return {
    descriptor: { mediaType, digest, size: bytes.length },
    bytes,
    manifest: parseManifest(bytes, mediaType, what),
    etag: response.headers.get("etag") ?? undefined,
  };
}

/** The manifest's digest, after checking the bytes against the reference and the registry's header. */
async function verifyManifestDigest(
  what: string,
  reference: string,
  bytes: Uint8Array,
  headerDigest: string | null,
): Promise<string> {
  const requested = isDigest(reference) ? reference : undefined;
  const algorithm = requested === undefined ? "sha256" : parseDigest(requested).algorithm;
  const computed = await digestOf(bytes, algorithm);
  if (requested !== undefined && computed !== requested)
    throw new DigestMismatchError(what, requested, computed);
  // A malformed header proves nothing either way; a well-formed one must agree with the bytes.
  if (headerDigest !== null && isDigest(headerDigest)) {
    const headerAlgorithm = parseDigest(headerDigest).algorithm;
    const actual = headerAlgorithm === algorithm ? computed : await digestOf(bytes, headerAlgorithm);
    if (actual !== headerDigest) {
      throw new DigestMismatchError(`${what} (Docker-Content-Digest)`, headerDigest, actual);
    }
  }
  return requested ?? computed;
}

type ManifestProbe =
  | { readonly found: false }
  /** `descriptor` is undefined when the registry left out a header needed to build it. */
  | { readonly found: true; readonly descriptor: Descriptor | undefined };

async function probeManifest(ctx: RepositoryContext, reference: string): Promise<ManifestProbe> {
  const request: RegistryRequest = {
    operation: "manifest.head",
    method: "HEAD",
    url: manifestUrl(ctx, reference),
    headers: { accept: ACCEPT },
    scopes: ctx.pullScopes,
  };
  const response = await ctx.transport.request(request);
  await response.body?.cancel().catch(() => {});
  if (response.status === 404) return { found: false };
  if (response.status !== 200) throw await ctx.transport.errorFrom(request, response);
  const digest = response.headers.get("docker-content-digest");
  const size = Number(response.headers.get("content-length") ?? Number.NaN);
  const contentType = response.headers.get("content-type")?.split(";")[0]?.trim();
  if (isDigest(reference) && digest !== null && digest !== reference) {
    throw new DigestMismatchError(`manifest ${ctx.repository}@${reference} (HEAD)`, reference, digest);
  }
  const resolved = isDigest(reference) ? reference : digest;
  const complete =
    resolved !== null &&
    isDigest(resolved) &&
    Number.isSafeInteger(size) &&
    contentType !== undefined &&
    (ManifestAccept as readonly string[]).includes(contentType);
  return {
    found: true,
    descriptor: complete ? { mediaType: contentType, digest: resolved, size } : undefined,
  };
}

/** HEAD: whether the manifest exists. */
export async function hasManifest(ctx: RepositoryContext, reference: string): Promise<boolean> {
  return (await probeManifest(ctx, reference)).found;
}

/**
 * Tag or digest to descriptor. HEAD when the registry answers it fully (a tag then resolves through
 * `Docker-Content-Digest`; fetchManifest is what verifies bytes), else GET and hash.
 */
export async function resolveManifest(ctx: RepositoryContext, reference: string): Promise<Descriptor> {
  const probe = await probeManifest(ctx, reference);
  if (!probe.found) {
    throw new RegistryError({
      operation: "manifest.head",
      method: "HEAD",
      url: manifestUrl(ctx, reference),
      status: 404,
      errors: [{ code: "MANIFEST_UNKNOWN", message: `${reference} not found` }],
    });
  }
  return probe.descriptor ?? (await getManifest(ctx, reference)).descriptor;
}

export interface PutManifestOptions {
  /** Overwrite only if the stored manifest still has this ETag (RFC 9110 §13.1.1). */
  readonly ifMatch?: string;
}

/** PUT the bytes as they are, under `reference` (a tag or their digest). */
export async function putManifest(
  ctx: RepositoryContext,
  bytes: Uint8Array,
  mediaType: string,
  reference?: string,
  options: PutManifestOptions = {},
): Promise<PushedManifest> {
  const digest = await digestOf(bytes);
  const what = `manifest ${ctx.registry}/${ctx.repository}`;
  if (bytes.length > ctx.limits.manifestBytes) {
    throw new ManifestTooLargeError(what, ctx.limits.manifestBytes, bytes.length);
  }
  const headers: Record<string, string> = { "content-type": mediaType };
  if (options.ifMatch !== undefined) headers["if-match"] = options.ifMatch;
  const request: RegistryRequest = {
    operation: "manifest.put",
    method: "PUT",
    url: manifestUrl(ctx, reference ?? digest),
    headers,
    body: bytes,
    scopes: ctx.pushScopes,
  };
  const pushed: PushedManifest = { descriptor: { mediaType, digest, size: bytes.length } };
  let response: BufferedResponse;
  try {
    response = await ctx.transport.requestBytes(request, 64 * 1024);
  } catch (error) {
    if (error instanceof RegistryConnectionError && (await landed(ctx, reference ?? digest, digest)))
      return pushed;
    throw error;
  }
  if (response.status !== 201) {
    const error = await ctx.transport.errorFrom(request, response);
    if (isRetryableStatus(response.status) && (await landed(ctx, reference ?? digest, digest))) return pushed;
    throw error;
  }
  const stored = response.headers.get("docker-content-digest");
  if (
    stored !== null &&
    isDigest(stored) &&
    parseDigest(stored).algorithm === "sha256" &&
    stored !== digest
  ) {
    throw new DigestMismatchError(`${what} (stored under Docker-Content-Digest)`, digest, stored);
  }
  const subject = response.headers.get("oci-subject");
  return { ...pushed, ...(subject !== null && { subjectHeader: subject }) };
}

/** Whether `reference` now names the manifest `digest`: the PUT landed though its answer did not. */
async function landed(ctx: RepositoryContext, reference: string, digest: string): Promise<boolean> {
  try {
    const probe = await probeManifest(ctx, reference);
    if (!probe.found) return false;
    if (probe.descriptor !== undefined) return probe.descriptor.digest === digest;
    return (await getManifest(ctx, reference)).descriptor.digest === digest;
  } catch {
    // The registry is still failing: the PUT's own error says more than this one.
    return false;
  }
}

export async function deleteManifest(ctx: RepositoryContext, digest: string): Promise<void> {
  parseDigest(digest);
  const request: RegistryRequest = {
    operation: "manifest.delete",
    method: "DELETE",
    url: manifestUrl(ctx, digest),
    scopes: ctx.deleteScopes,
  };
  const response = await ctx.transport.requestBytes(request, 64 * 1024);
  if (response.status !== 202 && response.status !== 200)
    throw await ctx.transport.errorFrom(request, response);
}

/** `Content-Type` when it names a manifest type, else the body's own `mediaType`, else its shape. */
export function manifestMediaType(contentType: string | null, bytes: Uint8Array): string {
  const declared = contentType?.split(";")[0]?.trim();
  if (declared !== undefined && (ManifestAccept as readonly string[]).includes(declared)) return declared;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new RegistryProtocolError("manifest is not JSON", { cause: error });
  }
  if (typeof body !== "object" || body === null)
    throw new RegistryProtocolError("manifest is not a JSON object");
  const own = (body as { mediaType?: unknown }).mediaType;
  if (typeof own === "string" && own.length > 0) return own;
  if (Array.isArray((body as { manifests?: unknown }).manifests)) return MediaType.OciIndex;
  return declared && declared !== "application/json" ? declared : MediaType.OciManifest;
}
