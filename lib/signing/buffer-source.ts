// TypeScript's DOM lib types WebCrypto inputs as ArrayBuffer-backed views only (TS 5.7+), while our
// interfaces carry plain `Uint8Array` (possibly over a SharedArrayBuffer): narrow without copying when we can.
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
