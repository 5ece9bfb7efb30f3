// The filesystem an OCI image layout lives on, injected so that lib/ stays free of `node:` (a Node
// implementation is in functions/node/layout-fs.ts). Paths are relative to the layout's root and use
// `/` separators; the implementation maps them onto its storage and never lets them escape the root.

export interface LayoutFileSystem {
  /** The whole file. Rejects with an error whose `code` is `ENOENT` when it does not exist. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Streams a file (optional: without it blobs are read whole). Layers can be gigabytes, so the Node
   * implementation provides it.
   */
  readStream?(path: string): Promise<ReadableStream<Uint8Array>>;
  /**
   * Writes atomically: the content goes to a temporary file renamed over `path` only once fully
   * written, so a reader never sees a partial blob or index.json. A stream that errors (a digest
   * mismatch found while streaming) leaves nothing behind.
   */
  writeFile(path: string, content: Uint8Array | ReadableStream<Uint8Array>): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Creates a directory and its parents; a no-op when it exists. */
  mkdir(path: string): Promise<void>;
  /** Names of a directory's entries; an empty list when the directory does not exist. */
  list(path: string): Promise<string[]>;
}

export function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}
