// Blob uploads (distribution-spec "Pushing blobs"): a session per blob. Small blobs go in one PUT (or
// in the POST itself where the registry completes a monolithic POST with 201), large ones in PATCH
// chunks; cross-repository mount first when a source repository is named. distribution 2.8 answers a
// monolithic POST with 202 and a session, so the client learns that once and stops sending the body.
// Every session URL stays on the registry's origin: the requests to it carry the registry's credentials.
import type { Descriptor } from "../descriptor.ts";
import { parseDigest } from "../digest.ts";
import {
  CrossOriginError,
  DigestMismatchError,
  RegistryConnectionError,
  RegistryError,
  RegistryProtocolError,
  SizeMismatchError,
} from "../errors.ts";
import { headBlob } from "./blobs.ts";
import type { RepositoryContext } from "./repository-context.ts";
import { isRetryableStatus } from "./retry.ts";
import { uploadSessionUrl, uploadStartUrl } from "./routes.ts";
import type { RegistryRequest, RequestBody } from "./transport.ts";

const OCTET_STREAM = "application/octet-stream";

export type MountResult = { readonly mounted: true } | { readonly mounted: false; readonly session: string };

/** end-11: mount from `from`; when the registry declines (202) it opens an upload session instead. */
export async function startMount(ctx: RepositoryContext, digest: string, from: string): Promise<MountResult> {
  parseDigest(digest);
  const request: RegistryRequest = {
    operation: "blob.mount",
    method: "POST",
    url: uploadStartUrl(ctx, { mount: digest, from }),
    // The token must allow pulling from the source repository too (distribution token spec).
    scopes: [...ctx.pushScopes, `repository:${from}:pull`],
  };
  const response = await ctx.transport.requestBytes(request, 64 * 1024);
  if (response.status === 201) return { mounted: true };
  if (response.status === 202)
    return { mounted: false, session: sessionLocation(ctx, response.headers, request.operation) };
  throw await ctx.transport.errorFrom(request, response);
}

/** Cancels an upload session (end-14); failures are ignored, as the spec allows. */
export async function cancelUpload(ctx: RepositoryContext, session: string): Promise<void> {
  const request: RegistryRequest = {
    operation: "blob.upload.cancel",
    method: "DELETE",
    url: uploadSessionUrl(ctx, session),
    scopes: ctx.pushScopes,
  };
  await ctx.transport.requestBytes(request, 64 * 1024).catch(() => {});
}

/**
 * Sessions one upload may use: the first, and a fresh one after a failure that left the first unusable
 * (a registry that completed the upload but whose answer was lost closes the session, and answers the
 * replayed PUT with 404 BLOB_UPLOAD_UNKNOWN).
 */
const UPLOAD_SESSIONS = 2;

/** Uploads `content` as `descriptor`, in `session` when one is already open. */
export async function uploadBlob(
  ctx: RepositoryContext,
  descriptor: Descriptor,
  content: Uint8Array | ReadableStream<Uint8Array>,
  session?: string,
): Promise<void> {
  parseDigest(descriptor.digest);
  if (content instanceof Uint8Array && content.length !== descriptor.size) {
    throw new SizeMismatchError(`blob ${descriptor.digest}`, descriptor.size, content.length);
  }
  let open = session;
  for (let round = 1; ; round++) {
    try {
      await uploadInSession(ctx, descriptor, content, open);
      return;
    } catch (error) {
      if (!isAmbiguousUploadFailure(error)) throw error;
      // The registry may have stored the blob before the failure (a lost answer, a 5xx after the
      // commit): HEAD tells. Otherwise a new session, when the bytes can be sent again.
      if (await blobLanded(ctx, descriptor)) return;
      if (!(content instanceof Uint8Array) || round >= UPLOAD_SESSIONS) throw error;
      open = undefined;
    }
  }
}

async function uploadInSession(
  ctx: RepositoryContext,
  descriptor: Descriptor,
  content: Uint8Array | ReadableStream<Uint8Array>,
  session: string | undefined,
): Promise<void> {
  let location = session;
  try {
    if (content instanceof Uint8Array && content.length <= ctx.limits.chunkBytes) {
      if (location === undefined) {
        location = await startUpload(ctx, descriptor, content);
        if (location === undefined) return; // completed by the POST itself
      }
      await completeUpload(ctx, descriptor, location, content);
      return;
    }
    location ??= await startUpload(ctx, descriptor, undefined);
    // One PUT, streamed: no request per chunk and no chunk held in memory (the old sequential 8 MiB
    // PATCHes made a 1 GiB copy about twice as slow as skopeo's).
    if (descriptor.size <= ctx.limits.monolithicBytes)
      await completeUpload(ctx, descriptor, location!, content);
    else await chunkedUpload(ctx, descriptor, location!, content);
  } catch (error) {
    if (location !== undefined) await cancelUpload(ctx, location);
    throw error;
  }
}

/**
 * Failures after which the registry may or may not hold the blob: no (complete) answer, a transient
 * status, or a session the registry no longer knows (closed by a completion whose answer was lost).
 */
function isAmbiguousUploadFailure(error: unknown): boolean {
  if (error instanceof RegistryConnectionError) return true;
  if (!(error instanceof RegistryError)) return false;
  return isRetryableStatus(error.status) || isUploadSessionLost(error);
}

/** `BLOB_UPLOAD_UNKNOWN` (distribution-spec error codes): the session is gone, not the repository. */
export function isUploadSessionLost(error: RegistryError): boolean {
  return error.hasCode("BLOB_UPLOAD_UNKNOWN");
}

async function blobLanded(ctx: RepositoryContext, descriptor: Descriptor): Promise<boolean> {
  const size = await headBlob(ctx, descriptor.digest);
  return size !== undefined && (size === -1 || size === descriptor.size);
}

/** POST (end-4a/4b). Returns the session location, or undefined when the POST completed the upload. */
async function startUpload(
  ctx: RepositoryContext,
  descriptor: Descriptor,
  content: Uint8Array | undefined,
): Promise<string | undefined> {
  const single =
    content !== undefined &&
    content.length <= ctx.limits.singlePostBytes &&
    ctx.capabilities.singlePostUpload !== false;
  const request: RegistryRequest = single
    ? {
        operation: "blob.upload.post",
        method: "POST",
        url: uploadStartUrl(ctx, { digest: descriptor.digest }),
        headers: { "content-type": OCTET_STREAM },
        body: content,
        scopes: ctx.pushScopes,
      }
    : { operation: "blob.upload.start", method: "POST", url: uploadStartUrl(ctx), scopes: ctx.pushScopes };
  const response = await ctx.transport.requestBytes(request, 64 * 1024);
  if (single && response.status === 201) {
    ctx.capabilities.singlePostUpload = true;
    checkStoredDigest(descriptor, response.headers);
    return undefined;
  }
  if (response.status !== 202) throw await ctx.transport.errorFrom(request, response);
  if (single) ctx.capabilities.singlePostUpload = false;
  return sessionLocation(ctx, response.headers, request.operation);
}

/** The closing PUT (end-6), carrying the last (or only) bytes. */
async function completeUpload(
  ctx: RepositoryContext,
  descriptor: Descriptor,
  location: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
): Promise<void> {
  const streamed = body instanceof ReadableStream;
  const sized = streamed ? sizedStream(body, descriptor) : undefined;
  const request: RegistryRequest = {
    operation: "blob.upload.complete",
    method: "PUT",
    url: uploadSessionUrl(ctx, location, descriptor.digest),
    headers: {
      "content-type": OCTET_STREAM,
      ...(streamed && { "content-length": String(descriptor.size) }),
    },
    body: (sized?.stream ?? body) as RequestBody,
    ...(streamed && { bodyLength: descriptor.size }),
    scopes: ctx.pushScopes,
  };
  const response = await ctx.transport.requestBytes(request, 64 * 1024).catch((error: unknown) => {
    // fetch reports a body that ended short or ran long as a failed connection: say what it was.
    throw sized?.mismatch() ?? error;
  });
  if (response.status !== 201) throw await ctx.transport.errorFrom(request, response);
  checkStoredDigest(descriptor, response.headers);
}

/** `stream`, failing with SizeMismatchError as soon as it runs past `descriptor.size` or ends short of it. */
function sizedStream(
  stream: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
): { stream: ReadableStream<Uint8Array>; mismatch(): SizeMismatchError | undefined } {
  let total = 0;
  let mismatch: SizeMismatchError | undefined;
  const what = `blob ${descriptor.digest}`;
  const counted = stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.length;
        if (total > descriptor.size) {
          mismatch = new SizeMismatchError(what, descriptor.size, total);
          controller.error(mismatch);
          return;
        }
        controller.enqueue(chunk);
      },
      flush(controller) {
        if (total === descriptor.size) return;
        mismatch = new SizeMismatchError(what, descriptor.size, total);
        controller.error(mismatch);
      },
    }),
  );
  return { stream: counted, mismatch: () => mismatch };
}

/** PATCH chunks (end-5) of `chunkBytes`; the last chunk rides in the closing PUT, saving a request. */
async function chunkedUpload(
  ctx: RepositoryContext,
  descriptor: Descriptor,
  initialLocation: string,
  content: Uint8Array | ReadableStream<Uint8Array>,
): Promise<void> {
  let location = initialLocation;
  let offset = 0;
  let held: Uint8Array | undefined;
  for await (const chunk of chunks(content, ctx.limits.chunkBytes)) {
    if (offset + (held?.length ?? 0) + chunk.length > descriptor.size) {
      throw new SizeMismatchError(
        `blob ${descriptor.digest}`,
        descriptor.size,
        offset + (held?.length ?? 0) + chunk.length,
      );
    }
    if (held !== undefined) {
      location = await patchChunk(ctx, location, held, offset);
      offset += held.length;
    }
    held = chunk;
  }
  const total = offset + (held?.length ?? 0);
  if (total !== descriptor.size)
    throw new SizeMismatchError(`blob ${descriptor.digest}`, descriptor.size, total);
  await completeUpload(ctx, descriptor, location, held ?? new Uint8Array(0));
}

/**
 * One chunk; on 416 (a retried PATCH the registry had already applied, or part of it) the session's
 * `Range` says where it stands and the rest of the chunk is sent from there.
 */
async function patchChunk(
  ctx: RepositoryContext,
  location: string,
  chunk: Uint8Array,
  start: number,
): Promise<string> {
  let body = chunk;
  let from = start;
  for (let attempt = 0; attempt < 3; attempt++) {
    const request: RegistryRequest = {
      operation: "blob.upload.chunk",
      method: "PATCH",
      url: uploadSessionUrl(ctx, location),
      headers: {
        "content-type": OCTET_STREAM,
        "content-range": `${from}-${from + body.length - 1}`,
      },
      body: body as RequestBody,
      scopes: ctx.pushScopes,
    };
    const response = await ctx.transport.requestBytes(request, 64 * 1024);
    if (response.status === 202) return sessionLocation(ctx, response.headers, request.operation);
    if (response.status !== 416) throw await ctx.transport.errorFrom(request, response);
    const committed = await uploadedLength(ctx, location);
    const end = start + chunk.length;
    if (committed === end) return location;
    if (committed < start || committed > end) throw await ctx.transport.errorFrom(request, response);
    body = chunk.subarray(committed - start);
    from = committed;
  }
  throw new RegistryProtocolError(`blob upload: registry kept refusing the chunk at offset ${start}`);
}

/** end-13: how many bytes the session holds (`Range: 0-<last>`). */
async function uploadedLength(ctx: RepositoryContext, location: string): Promise<number> {
  const request: RegistryRequest = {
    operation: "blob.upload.status",
    method: "GET",
    url: uploadSessionUrl(ctx, location),
    scopes: ctx.pushScopes,
  };
  const response = await ctx.transport.requestBytes(request, 64 * 1024);
  if (response.status !== 204) throw await ctx.transport.errorFrom(request, response);
  const last = /^(?:bytes=)?0-(\d+)$/.exec(response.headers.get("range") ?? "")?.[1];
  return last === undefined ? 0 : Number(last) + 1;
}

async function* chunks(
  content: Uint8Array | ReadableStream<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array> {
  if (content instanceof Uint8Array) {
    for (let offset = 0; offset < content.length; offset += size)
      yield content.subarray(offset, offset + size);
    return;
  }
  // Re-block the stream into chunks of `size`: a PATCH per network read would be far too many requests.
  let buffer = new Uint8Array(size);
  let filled = 0;
  const reader = content.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let offset = 0;
      while (offset < value.length) {
        const take = Math.min(size - filled, value.length - offset);
        buffer.set(value.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === size) {
          yield buffer;
          buffer = new Uint8Array(size);
          filled = 0;
        }
      }
    }
    if (filled > 0) yield buffer.subarray(0, filled);
  } finally {
    reader.releaseLock();
  }
}

/** The session URL from `Location`, refused unless it is on the registry's own origin. */
function sessionLocation(ctx: RepositoryContext, headers: Headers, operation: string): string {
  const location = headers.get("location");
  if (location === null || location.length === 0) {
    throw new RegistryProtocolError(`blob upload in ${ctx.repository}: 202 without a Location header`);
  }
  let origin: string;
  try {
    origin = new URL(location, ctx.baseUrl).origin;
  } catch {
    throw new RegistryProtocolError(`blob upload in ${ctx.repository}: Location is not a URL`);
  }
  const expected = new URL(ctx.baseUrl).origin;
  if (origin !== expected) throw new CrossOriginError(operation, "the upload Location", origin, expected);
  return location;
}

function checkStoredDigest(descriptor: Descriptor, headers: Headers): void {
  const stored = headers.get("docker-content-digest");
  if (
    stored?.startsWith("sha256:") &&
    descriptor.digest.startsWith("sha256:") &&
    stored !== descriptor.digest
  ) {
    throw new DigestMismatchError(`blob upload ${descriptor.digest}`, descriptor.digest, stored);
  }
}
