// Blob reads (distribution-spec "Pulling blobs"): HEAD, and a streaming GET that resumes a cut
// connection with `Range: bytes=<offset>-` and verifies size and digest as the bytes pass.
import { verifyingStream } from "../blob-verifier.ts";
import type { Descriptor } from "../descriptor.ts";
import { parseDigest } from "../digest.ts";
import { RegistryConnectionError, RegistryProtocolError, SizeMismatchError } from "../errors.ts";
import type { RepositoryContext } from "./repository-context.ts";
import { blobUrl } from "./routes.ts";
import { concat, type RegistryRequest } from "./transport.ts";

/** HEAD: the blob's size when present, undefined when absent. */
export async function headBlob(ctx: RepositoryContext, digest: string): Promise<number | undefined> {
  parseDigest(digest);
  const request: RegistryRequest = {
    operation: "blob.head",
    method: "HEAD",
    url: blobUrl(ctx, digest),
    scopes: ctx.pullScopes,
    redirect: "storage",
  };
  const response = await ctx.transport.request(request);
  await response.body?.cancel().catch(() => {});
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw await ctx.transport.errorFrom(request, response);
  const size = Number(response.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(size) ? size : -1;
}

/** The blob's bytes as a stream that errors on a size or digest mismatch. */
export async function fetchBlob(
  ctx: RepositoryContext,
  descriptor: Descriptor,
): Promise<ReadableStream<Uint8Array>> {
  const what = `blob ${ctx.registry}/${ctx.repository}@${descriptor.digest}`;
  const first = await openBlob(ctx, descriptor, 0);
  return resumable(ctx, descriptor, first, what).pipeThrough(verifyingStream(descriptor, what));
}

/** The whole blob in memory (configs, signature payloads), verified; refuses blobs above `limit`. */
export async function readBlob(
  ctx: RepositoryContext,
  descriptor: Descriptor,
  limit: number,
): Promise<Uint8Array> {
  if (descriptor.size > limit) {
    throw new SizeMismatchError(
      `blob ${descriptor.digest} is larger than the ${limit}-byte limit`,
      limit,
      descriptor.size,
    );
  }
  const chunks: Uint8Array[] = [];
  const reader = (await fetchBlob(ctx, descriptor)).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return concat(chunks);
}

interface OpenedBlob {
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Bytes at the start of this response that were already delivered (a registry that ignored Range). */
  readonly skip: number;
}

async function openBlob(ctx: RepositoryContext, descriptor: Descriptor, offset: number): Promise<OpenedBlob> {
  const request: RegistryRequest = {
    operation: offset === 0 ? "blob.get" : "blob.get.resume",
    method: "GET",
    url: blobUrl(ctx, descriptor.digest),
    headers: offset === 0 ? {} : { range: `bytes=${offset}-` },
    scopes: ctx.pullScopes,
    // Registries hand blob downloads to storage (CDNs, object stores): followed, without credentials.
    redirect: "storage",
  };
  const response = await ctx.transport.request(request);
  if (response.status !== 200 && response.status !== 206)
    throw await ctx.transport.errorFrom(request, response);
  if (response.body === null)
    throw new RegistryProtocolError(`${request.operation}: response without a body`);
  let skip = 0;
  if (offset > 0 && response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "")?.[1];
    if (start === undefined || Number(start) !== offset) {
      await response.body.cancel().catch(() => {});
      throw new RegistryProtocolError(`blob ${descriptor.digest}: resumed at the wrong offset`);
    }
  } else if (offset > 0) {
    skip = offset; // 200: the whole blob again
  }
  return { reader: response.body.getReader(), skip };
}

function resumable(
  ctx: RepositoryContext,
  descriptor: Descriptor,
  first: OpenedBlob,
  what: string,
): ReadableStream<Uint8Array> {
  let current = first;
  let toSkip = first.skip;
  let offset = 0;
  let resumes = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await current.reader.read();
          // A clean end before the declared size is a cut too (e.g. a proxy closing the connection).
          if (chunk.done && offset < descriptor.size)
            throw new SizeMismatchError(what, descriptor.size, offset);
        } catch (error) {
          if (resumes >= ctx.limits.blobResumes) {
            controller.error(
              new RegistryConnectionError("blob.get", "GET", blobUrl(ctx, descriptor.digest), false, error),
            );
            return;
          }
          resumes++;
          try {
            current = await openBlob(ctx, descriptor, offset);
          } catch (reopenError) {
            controller.error(reopenError);
            return;
          }
          toSkip = current.skip;
          continue;
        }
        if (chunk.done) {
          controller.close();
          return;
        }
        let bytes = chunk.value;
        if (toSkip > 0) {
          const dropped = Math.min(toSkip, bytes.length);
          toSkip -= dropped;
          bytes = bytes.subarray(dropped);
          if (bytes.length === 0) continue;
        }
        offset += bytes.length;
        controller.enqueue(bytes);
        return;
      }
    },
    async cancel(reason) {
      await current.reader.cancel(reason).catch(() => {});
    },
  });
}
