import { describe, expect, it } from "vitest";
import { toHex } from "../encoding.ts";
import { Sha256 } from "./sha256.ts";

async function subtleHex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

describe("Sha256", () => {
  it("matches the FIPS 180-2 examples", () => {
    const abc = new TextEncoder().encode("abc");
    expect(toHex(new Sha256().update(abc).digest())).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(toHex(new Sha256().digest())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("agrees with crypto.subtle on every length around the block and padding boundaries", async () => {
    for (let length = 0; length <= 200; length++) {
      const bytes = randomBytes(length);
      expect(toHex(new Sha256().update(bytes).digest()), `length ${length}`).toBe(await subtleHex(bytes));
    }
  });

  it("agrees with crypto.subtle on random inputs fed in random splits", async () => {
    for (let round = 0; round < 40; round++) {
      const bytes = randomBytes(Math.floor(Math.random() * 300_000));
      const hash = new Sha256();
      let offset = 0;
      while (offset < bytes.length) {
        const step = Math.floor(Math.random() * 10_000);
        hash.update(bytes.subarray(offset, offset + step));
        offset += step;
      }
      expect(hash.length).toBe(bytes.length);
      expect(toHex(hash.digest())).toBe(await subtleHex(bytes));
    }
  });

  it("refuses to be reused after digest", () => {
    const hash = new Sha256();
    hash.digest();
    expect(() => hash.update(new Uint8Array(1))).toThrow(/after digest/);
    expect(() => hash.digest()).toThrow(/twice/);
  });
});
