// Secret comparison that leaks neither the position of the first difference nor the lengths: both sides
// are MACed under a per-process random key and the fixed-size MACs are compared without early exit
// (the "double HMAC" construction). Equal MACs mean equal inputs except with negligible probability.

const encoder = new TextEncoder();
let keyPromise: Promise<CryptoKey> | undefined;

// Created lazily: Workers forbid random generation at global scope.
function comparisonKey(): Promise<CryptoKey> {
  keyPromise ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return keyPromise;
}

function bytesOf(value: Uint8Array | string): Uint8Array<ArrayBuffer> {
  return typeof value === "string" ? encoder.encode(value) : new Uint8Array(value);
}

export async function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): Promise<boolean> {
  const key = await comparisonKey();
  const [macA, macB] = await Promise.all([
    crypto.subtle.sign("HMAC", key, bytesOf(a)),
    crypto.subtle.sign("HMAC", key, bytesOf(b)),
  ]);
  const x = new Uint8Array(macA);
  const y = new Uint8Array(macB);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i]! ^ y[i]!;
  return difference === 0;
}
