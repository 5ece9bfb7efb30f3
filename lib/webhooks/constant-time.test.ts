import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "./constant-time.ts";

describe("constantTimeEqual", () => {
  it("is true only for identical bytes", async () => {
    expect(await constantTimeEqual("secret", "secret")).toBe(true);
    expect(await constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(await constantTimeEqual("", "")).toBe(true);
    expect(await constantTimeEqual("secret", "secreT")).toBe(false);
    expect(await constantTimeEqual("secret", "Secret")).toBe(false);
  });

  it("is false for prefixes and extensions (lengths differ) without throwing", async () => {
    expect(await constantTimeEqual("secret", "secre")).toBe(false);
    expect(await constantTimeEqual("secret", "secret\0")).toBe(false);
    expect(await constantTimeEqual("", "x")).toBe(false);
    expect(await constantTimeEqual(new Uint8Array(0), new Uint8Array(1))).toBe(false);
  });

  it("compares strings as UTF-8 bytes", async () => {
    expect(await constantTimeEqual("pässword", new TextEncoder().encode("pässword"))).toBe(true);
    expect(await constantTimeEqual("pässword", "pa\u0308ssword")).toBe(false);
  });
});
