// Base64 over UTF-8 with the web-standard btoa/atob (available in workerd, Node and Lambda alike).

export function base64FromBytes(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64FromText(text: string): string {
  return base64FromBytes(new TextEncoder().encode(text));
}

/** Decodes standard base64 (padding optional) to text; throws on malformed input. */
export function textFromBase64(encoded: string): string {
  const binary = atob(encoded.trim());
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}
