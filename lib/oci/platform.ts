// Choosing a platform's manifest in an index (image-spec image-index.md `platform`), with containerd's
// variant defaults (platforms/database.go): arm64 means v8 and arm means v7 when no variant is given.
import type { Descriptor, ImageIndex, Platform } from "./descriptor.ts";

export interface PlatformSpec {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export class InvalidPlatformError extends Error {
  override readonly name = "InvalidPlatformError";
}

export class PlatformNotFoundError extends Error {
  override readonly name = "PlatformNotFoundError";
  readonly wanted: string;
  readonly available: readonly string[];
  constructor(wanted: string, available: readonly string[]) {
    super(
      `no manifest for platform ${wanted} (index has: ${available.length > 0 ? available.join(", ") : "none"})`,
    );
    this.wanted = wanted;
    this.available = available;
  }
}

const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: "v8", arm: "v7" };

/** `linux/arm64/v8`, `linux/amd64`, `windows/amd64`. */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new InvalidPlatformError(`invalid platform ${JSON.stringify(text)}: expected os/arch[/variant]`);
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return {
    os: os.toLowerCase(),
    architecture: architecture.toLowerCase(),
    ...(variant && { variant: variant.toLowerCase() }),
  };
}

export function formatPlatform(platform: PlatformSpec | Platform): string {
  return [platform.os, platform.architecture, platform.variant]
    .filter((p) => p !== undefined && p !== "")
    .join("/");
}

/** Whether `platform` satisfies `wanted`; a wanted variant must match (after defaults), none matches any. */
export function matchPlatform(platform: Platform | undefined, wanted: PlatformSpec | string): boolean {
  const spec = typeof wanted === "string" ? parsePlatform(wanted) : wanted;
  if (platform === undefined) return false;
  if (platform.os !== spec.os || platform.architecture !== spec.architecture) return false;
  if (spec.variant === undefined) return true;
  return (
    normalizedVariant(platform.architecture, platform.variant) ===
    normalizedVariant(spec.architecture, spec.variant)
  );
}

/**
 * The manifest for `wanted`. Without a wanted variant, the architecture's default variant (or no variant)
 * is preferred over others, then index order.
 */
export function selectPlatform(index: ImageIndex, wanted: PlatformSpec | string): Descriptor {
  const spec = typeof wanted === "string" ? parsePlatform(wanted) : wanted;
  const candidates = index.manifests.filter((m) => matchPlatform(m.platform, spec));
  const preferred =
    spec.variant === undefined
      ? candidates.find(
          (m) =>
            normalizedVariant(m.platform!.architecture, m.platform!.variant) ===
            DEFAULT_VARIANT[spec.architecture],
        )
      : undefined;
  const chosen = preferred ?? candidates[0];
  if (chosen === undefined) {
    const available = index.manifests
      .filter((m) => m.platform !== undefined)
      .map((m) => formatPlatform(m.platform!));
    throw new PlatformNotFoundError(formatPlatform(spec), available);
  }
  return chosen;
}

function normalizedVariant(architecture: string, variant: string | undefined): string | undefined {
  return variant === undefined || variant === "" ? DEFAULT_VARIANT[architecture] : variant;
}
