// `os/arch[/variant]` platform selectors (the spelling of `docker --platform`), matched against the
// `platform` of index entries (image-spec image-index.md).
import type { Descriptor, Platform } from "./descriptor.ts";

export interface PlatformSelector {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export class InvalidPlatformError extends Error {
  override readonly name = "InvalidPlatformError";
  constructor(input: string) {
    super(
      `invalid platform ${JSON.stringify(input.slice(0, 100))}: expected os/arch[/variant], e.g. linux/arm64/v8`,
    );
  }
}

const PART = /^[a-z0-9._-]+$/;

export function parsePlatform(input: string): PlatformSelector {
  const parts = input.split("/");
  if (parts.length < 2 || parts.length > 3 || !parts.every((part) => PART.test(part))) {
    throw new InvalidPlatformError(input);
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(platform: PlatformSelector | Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join("/");
}

/** A selector without variant matches every variant, as `docker pull --platform linux/arm` does. */
export function matchesPlatform(platform: Platform | undefined, selector: PlatformSelector): boolean {
  if (!platform) return false;
  if (platform.os !== selector.os || platform.architecture !== selector.architecture) return false;
  return selector.variant === undefined || platform.variant === selector.variant;
}

export function selectByPlatforms(
  manifests: readonly Descriptor[],
  selectors: readonly PlatformSelector[],
): Descriptor[] {
  return manifests.filter((entry) => selectors.some((selector) => matchesPlatform(entry.platform, selector)));
}
