// HMAC-SHA256 of a raw body, as GitHub (X-Hub-Signature-256) and Artifactory (X-JFrog-Event-Auth) sign it.
import { toHex } from "../encoding.ts";

const encoder = new TextEncoder();

export async function hmacSha256Hex(secret: string, body: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new Uint8Array(body)));
  return toHex(mac);
}
