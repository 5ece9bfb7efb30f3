// Node implementation of the OCI layout filesystem (lib/oci/layout/file-system.ts), rooted at one directory.
import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import type { LayoutFileSystem } from "../../lib/oci/layout/file-system.ts";

export class LayoutPathError extends Error {
  constructor(path: string) {
    super(`path ${JSON.stringify(path)} escapes the layout directory`);
    this.name = "LayoutPathError";
  }
}

export function nodeLayoutFileSystem(root: string): LayoutFileSystem {
  const base = resolve(root);
  // The layout code builds paths from validated digests and fixed names; this check is the second
  // line of defence against a `..` that would reach outside the layout.
  const full = (path: string): string => {
    const target = resolve(base, path);
    const rel = relative(base, target);
    if (rel.startsWith("..") || isAbsolute(rel)) throw new LayoutPathError(path);
    return target;
  };
  return {
    async readFile(path) {
      return new Uint8Array(await readFile(full(path)));
    },
    async readStream(path) {
      const handle = await open(full(path), "r");
      return Readable.toWeb(handle.createReadStream()) as unknown as ReadableStream<Uint8Array>;
    },
    async writeFile(path, content) {
      const target = full(path);
      await mkdir(dirname(target), { recursive: true });
      const temp = `${target}.${randomUUID()}.tmp`;
      try {
        if (content instanceof Uint8Array) {
          await writeFile(temp, content);
        } else {
          const handle = await open(temp, "w");
          await content.pipeTo(Writable.toWeb(handle.createWriteStream()));
        }
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
    async exists(path) {
      try {
        await stat(full(path));
        return true;
      } catch {
        return false;
      }
    },
    async mkdir(path) {
      await mkdir(full(path), { recursive: true });
    },
    async list(path) {
      try {
        return await readdir(full(path));
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") return [];
        throw error;
      }
    },
  };
}
