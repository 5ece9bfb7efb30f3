import { describe, expect, it } from "vitest";
import type { ImageIndex } from "./descriptor.ts";
import {
  InvalidPlatformError,
  matchPlatform,
  PlatformNotFoundError,
  parsePlatform,
  selectPlatform,
} from "./platform.ts";

const d = (n: string, platform?: { os: string; architecture: string; variant?: string }) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${n.repeat(64)}`,
  size: 1,
  ...(platform && { platform }),
});

const index: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    d("1", { os: "linux", architecture: "amd64" }),
    d("2", { os: "linux", architecture: "arm", variant: "v6" }),
    d("3", { os: "linux", architecture: "arm", variant: "v7" }),
    d("4", { os: "linux", architecture: "arm64" }),
    d("5", { os: "unknown", architecture: "unknown" }),
    d("6"),
  ],
};

describe("platforms", () => {
  it("selects by os/arch/variant, arm64 without a variant meaning v8", () => {
    expect(selectPlatform(index, "linux/amd64").digest).toBe(`sha256:${"1".repeat(64)}`);
    expect(selectPlatform(index, "linux/arm64/v8").digest).toBe(`sha256:${"4".repeat(64)}`);
    expect(selectPlatform(index, "linux/arm64").digest).toBe(`sha256:${"4".repeat(64)}`);
    expect(selectPlatform(index, "linux/arm/v6").digest).toBe(`sha256:${"2".repeat(64)}`);
    // No variant asked: arm's default (v7) wins over index order.
    expect(selectPlatform(index, "linux/arm").digest).toBe(`sha256:${"3".repeat(64)}`);
  });

  it("names what is available when nothing matches", () => {
    expect(() => selectPlatform(index, "windows/amd64")).toThrow(PlatformNotFoundError);
    expect(() => selectPlatform(index, "linux/arm64/v9")).toThrow(/linux\/amd64, linux\/arm\/v6/);
  });

  it("rejects malformed platforms", () => {
    for (const bad of ["linux", "linux/", "a/b/c/d", "linux/amd 64"]) {
      expect(() => parsePlatform(bad)).toThrow(InvalidPlatformError);
    }
    expect(matchPlatform(undefined, "linux/amd64")).toBe(false);
  });
});
