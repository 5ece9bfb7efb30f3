import { describe, expect, it } from "vitest";
import { DerError, ecdsaDerToRaw, ecdsaRawToDer, readTlv } from "./der.ts";

describe("ECDSA signature encodings", () => {
  it("round-trips r‖s through DER, keeping leading zeros and high bits right", () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x00; // r with a leading zero octet: DER drops it
    raw[1] = 0x01;
    raw[32] = 0x80; // s with the high bit set: DER must prefix 0x00
    raw[63] = 0x7f;
    const der = ecdsaRawToDer(raw);
    expect(der[0]).toBe(0x30);
    // r: 31 significant bytes; s: 32 bytes + the sign-padding zero.
    expect(Array.from(der.subarray(2, 4))).toEqual([0x02, 31]);
    expect(ecdsaDerToRaw(der, 32)).toEqual(raw);
  });

  it("uses long-form lengths for P-521 (132-byte r‖s)", () => {
    const raw = new Uint8Array(132).fill(0xff);
    const der = ecdsaRawToDer(raw);
    expect(der[1]).toBe(0x81); // content is 138 bytes: one length octet follows
    expect(ecdsaDerToRaw(der, 66)).toEqual(raw);
  });

  it("refuses DER that is not two INTEGERs, or integers wider than the curve", () => {
    expect(() => ecdsaDerToRaw(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 32)).toThrow(DerError);
    const wide = ecdsaRawToDer(new Uint8Array(96).fill(0x11));
    expect(() => ecdsaDerToRaw(wide, 32)).toThrow(/larger than the curve/);
  });
});

describe("readTlv", () => {
  it("rejects lengths that run past the buffer", () => {
    expect(() => readTlv(new Uint8Array([0x30, 0x05, 0x00]), 0)).toThrow(/runs past/);
    expect(() => readTlv(new Uint8Array([0x30, 0x80]), 0)).toThrow(/indefinite/);
  });
});
