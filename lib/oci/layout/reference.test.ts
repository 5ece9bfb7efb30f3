import { describe, expect, it } from "vitest";
import { formatLayoutReference, InvalidLayoutReferenceError, parseLayoutReference } from "./reference.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("oci-layout references", () => {
  it.each([
    ["oci-layout:out", { directory: "out" }],
    ["oci-layout:/tmp/out:v1.2", { directory: "/tmp/out", tag: "v1.2" }],
    [`oci-layout:./out@${DIGEST}`, { directory: "./out", digest: DIGEST }],
    // A colon in the directory stays in it when what follows is not a tag.
    ["oci-layout:/mnt/c:/images", { directory: "/mnt/c:/images" }],
    ["oci-layout:/mnt/c:/images:latest", { directory: "/mnt/c:/images", tag: "latest" }],
  ])("%s", (input, expected) => {
    expect(parseLayoutReference(input)).toEqual(expected);
    expect(formatLayoutReference(expected)).toBe(input);
  });

  it.each([
    ["oci-layout:", /directory is empty/],
    ["oci-layout::v1", /directory is empty/],
    [`oci-layout:out@sha256:${"A".repeat(64)}`, /lowercase hexadecimal/],
    ["oci-layout:out@sha256:abc", /64 hex characters/],
    ["oci-layout:out\0x", /NUL/],
    ["docker://x", /expected oci-layout:<dir>/],
  ])("rejects %j", (input, message) => {
    expect(() => parseLayoutReference(input)).toThrow(InvalidLayoutReferenceError);
    expect(() => parseLayoutReference(input)).toThrow(message);
  });
});
