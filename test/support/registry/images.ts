// Real images for registry tests, built by umoci (an OCI layout in a temp dir) and pushed by skopeo,
// so the client is checked against content it did not produce itself.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { INSTALL_HINT, requireBinary } from "./distribution.ts";

const run = promisify(execFile);

export interface BuildImageOptions {
  readonly layers: number;
  /** Bytes of random (incompressible) content per layer. Default 4 KiB. */
  readonly layerSize?: number;
  /** `os/arch[/variant]`, default `linux/amd64`. */
  readonly platform?: string;
  /** Tag inside the layout. Default `latest`. */
  readonly tag?: string;
  /** Build into this layout instead of a new one. */
  readonly layoutDir?: string;
}

export interface BuiltImage {
  /** The OCI layout directory. */
  readonly dir: string;
  readonly tag: string;
  /** The image manifest's descriptor as listed in the layout's index.json. */
  readonly manifest: { readonly mediaType: string; readonly digest: string; readonly size: number };
  cleanup(): Promise<void>;
}

async function tool(name: string, args: readonly string[]): Promise<string> {
  try {
    requireBinary(name);
  } catch {
    throw new Error(`${name} not found: ${INSTALL_HINT}`);
  }
  try {
    const { stdout } = await run(name, [...args], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`${name} ${args.join(" ")} failed: ${stderr.trim()}`, { cause: error });
  }
}

/** `umoci init/new/insert/config`: an image with `layers` layers of random files. */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const tag = options.tag ?? "latest";
  // umoci init wants a path that does not exist yet.
  const parent =
    options.layoutDir === undefined ? await mkdtemp(join(tmpdir(), "countersign-image-")) : undefined;
  const dir = options.layoutDir ?? join(parent!, "layout");
  const scratch = await mkdtemp(join(tmpdir(), "countersign-layer-"));
  const [os = "linux", architecture = "amd64"] = (options.platform ?? "linux/amd64").split("/");
  try {
    if (options.layoutDir === undefined) await tool("umoci", ["init", "--layout", dir]);
    await tool("umoci", ["new", "--image", `${dir}:${tag}`]);
    for (let i = 0; i < options.layers; i++) {
      const file = join(scratch, `layer-${i}.bin`);
      await writeFile(file, randomBytes(options.layerSize ?? 4096));
      await tool("umoci", ["insert", "--image", `${dir}:${tag}`, file, `/data/layer-${i}.bin`]);
    }
    await tool("umoci", ["config", "--image", `${dir}:${tag}`, "--os", os, "--architecture", architecture]);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const manifest = await layoutEntry(dir, tag);
  return { dir, tag, manifest, cleanup: () => rm(parent ?? dir, { recursive: true, force: true }) };
}

interface LayoutIndex {
  manifests: Array<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }>;
}

async function layoutEntry(dir: string, tag: string) {
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as LayoutIndex;
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (entry === undefined) throw new Error(`layout ${dir} has no tag ${tag}`);
  return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
}

export interface PushOptions {
  readonly all?: boolean;
  /** `user:password` for a registry with auth. */
  readonly credentials?: string;
}

/** `skopeo copy oci:<layout>:<tag> docker://<destination>` over plain HTTP, digests preserved. */
export async function pushImage(
  layoutDir: string,
  destination: string,
  options: PushOptions & { readonly tag?: string } = {},
): Promise<void> {
  await tool("skopeo", [
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    "--preserve-digests",
    ...(options.all ? ["--all"] : ["--format", "oci"]),
    ...(options.credentials !== undefined ? ["--dest-creds", options.credentials] : []),
    `oci:${layoutDir}:${options.tag ?? "latest"}`,
    `docker://${destination}`,
  ]);
}

/** buildImage, then pushImage to `destination` (`host/repository:tag`), the layout removed afterwards. */
export async function buildAndPushImage(
  destination: string,
  options: BuildImageOptions & Pick<PushOptions, "credentials"> = { layers: 1 },
): Promise<BuiltImage["manifest"]> {
  const built = await buildImage(options);
  try {
    await pushImage(built.dir, destination, {
      tag: built.tag,
      ...(options.credentials !== undefined && { credentials: options.credentials }),
    });
  } finally {
    await built.cleanup();
  }
  return built.manifest;
}

export interface PushedIndex {
  /** The image index's descriptor. */
  readonly index: { readonly mediaType: string; readonly digest: string; readonly size: number };
  /** Per-platform manifests, in index order. */
  readonly manifests: ReadonlyArray<{
    readonly platform: string;
    readonly digest: string;
    readonly size: number;
  }>;
}

/**
 * Builds one image per platform in a single layout, writes an OCI image index over them under `tag`,
 * and pushes the whole index with `skopeo copy --all`.
 */
export async function pushMultiArchIndex(
  host: string,
  repositoryAndTag: string,
  platforms: readonly string[],
  options: { readonly layers?: number } = {},
): Promise<PushedIndex> {
  const parent = await mkdtemp(join(tmpdir(), "countersign-index-"));
  const dir = join(parent, "layout");
  try {
    await tool("umoci", ["init", "--layout", dir]);
    const manifests: Array<{ platform: string; digest: string; size: number; mediaType: string }> = [];
    for (const [i, platform] of platforms.entries()) {
      const built = await buildImage({ layers: options.layers ?? 1, platform, tag: `p${i}`, layoutDir: dir });
      manifests.push({ platform, ...built.manifest });
    }
    const indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: manifests.map((m) => {
          const [os, architecture, variant] = m.platform.split("/");
          return {
            mediaType: m.mediaType,
            digest: m.digest,
            size: m.size,
            platform: { architecture, os, ...(variant !== undefined && { variant }) },
          };
        }),
      }),
    );
    const hex = (await import("node:crypto")).createHash("sha256").update(indexBytes).digest("hex");
    await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
    await writeFile(join(dir, "blobs", "sha256", hex), indexBytes);
    const layoutIndex = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as LayoutIndex;
    const index = {
      mediaType: "application/vnd.oci.image.index.v1+json",
      digest: `sha256:${hex}`,
      size: indexBytes.length,
    };
    layoutIndex.manifests.push({ ...index, annotations: { "org.opencontainers.image.ref.name": "multi" } });
    await writeFile(join(dir, "index.json"), JSON.stringify(layoutIndex));
    await pushImage(dir, `${host}/${repositoryAndTag}`, { all: true, tag: "multi" });
    return { index, manifests: manifests.map(({ platform, digest, size }) => ({ platform, digest, size })) };
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
