import { describe, expect, it } from "vitest";
import { readTlv } from "./der.ts";

describe("readTlv", () => {
  it("rejects lengths that run past the buffer", () => {
    expect(() => readTlv(new Uint8Array([0x30, 0x05, 0x00]), 0)).toThrow(/runs past/);
    expect(() => readTlv(new Uint8Array([0x30, 0x80]), 0)).toThrow(/indefinite/);
  });
});
