// An in-memory LayoutFileSystem for unit tests of OCI layouts and copy; `files` is exposed so that a
// test can corrupt a blob or inspect what was written.
import type { LayoutFileSystem } from "../../../lib/oci/layout/file-system.ts";

export interface MemoryLayoutFileSystem extends LayoutFileSystem {
  readonly files: Map<string, Uint8Array>;
}

export function memoryLayoutFileSystem(): MemoryLayoutFileSystem {
  const files = new Map<string, Uint8Array>();
  const notFound = (path: string) => Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
  return {
    files,
    async readFile(path) {
      const bytes = files.get(path);
      if (!bytes) throw notFound(path);
      return bytes.slice();
    },
    async writeFile(path, content) {
      // Collect first, store last: an erroring stream leaves nothing, as the atomic rename does on disk.
      const bytes = content instanceof Uint8Array ? content.slice() : await new Response(content).bytes();
      files.set(path, bytes);
    },
    async exists(path) {
      return files.has(path) || [...files.keys()].some((name) => name.startsWith(`${path}/`));
    },
    async mkdir() {},
    async list(path) {
      const prefix = `${path}/`;
      const names = [...files.keys()].filter((name) => name.startsWith(prefix));
      return [...new Set(names.map((name) => name.slice(prefix.length).split("/")[0]!))];
    },
  };
}
