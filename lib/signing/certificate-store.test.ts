// The get-or-create-renew logic every runtime shares, against a store with the conditional write
// D1 and DynamoDB give (functions/cloudflare and the Lambda e2e tests run the real ones).
import { describe, expect, it } from "vitest";
import { certificateNotAfter, certificatePem, createNotaryCertificate } from "./certificate.ts";
import { type CertificateStore, notaryCertificateChain } from "./certificate-store.ts";
import { CertificateError } from "./errors.ts";
import { LocalSigner } from "./local.ts";

const DAY = 86_400_000;
const start = Date.parse("2026-01-01T00:00:00Z");

function memoryStore(): CertificateStore & { writes: number } {
  const items = new Map<string, string>();
  return {
    writes: 0,
    async read(keyId) {
      return items.get(keyId);
    },
    async write(keyId, certificate, previous) {
      this.writes++;
      if (items.get(keyId) === previous) items.set(keyId, certificate.pem);
    },
  };
}

describe("notaryCertificateChain", () => {
  it("creates one certificate for racing callers and keeps it across restarts", async () => {
    const store = memoryStore();
    const signer = await LocalSigner.generate("ES256");
    const chains = await Promise.all(
      Array.from({ length: 5 }, () => notaryCertificateChain({ signer, store, now: () => start })),
    );
    expect(new Set(chains.map((chain) => certificatePem(chain[0]!))).size).toBe(1);
    expect(await notaryCertificateChain({ signer, store, now: () => start + DAY })).toEqual(chains[0]);
  });

  it("renews within 30 days of expiry, and makes one per key", async () => {
    const store = memoryStore();
    const signer = await LocalSigner.generate("ES256");
    const [first] = await notaryCertificateChain({ signer, store, now: () => start });
    expect(certificateNotAfter(first!).getTime()).toBe(start - 5 * 60_000 + 365 * DAY);
    expect((await notaryCertificateChain({ signer, store, now: () => start + 300 * DAY }))[0]).toEqual(first);
    const [renewed] = await notaryCertificateChain({ signer, store, now: () => start + 340 * DAY });
    expect(renewed).not.toEqual(first);
    const other = await LocalSigner.generate("ES256");
    expect((await notaryCertificateChain({ signer: other, store }))[0]).not.toEqual(renewed);
  });

  it("takes a configured chain without touching the store, and refuses one for another key", async () => {
    const store = memoryStore();
    const signer = await LocalSigner.generate("ES256");
    const leaf = await createNotaryCertificate(signer, { subject: "CN=Supplied" });
    expect(await notaryCertificateChain({ signer, store, configured: certificatePem(leaf) })).toEqual([leaf]);
    expect(store.writes).toBe(0);
    const stranger = await LocalSigner.generate("ES256");
    await expect(
      notaryCertificateChain({ signer: stranger, store, configured: certificatePem(leaf) }),
    ).rejects.toThrow(CertificateError);
  });

  it("returns a new certificate shorter-lived than the renewal window as it is", async () => {
    const store = memoryStore();
    const signer = await LocalSigner.generate("ES256");
    const [short] = await notaryCertificateChain({ signer, store, validityDays: 10, now: () => start });
    expect(certificateNotAfter(short!).getTime()).toBe(start - 5 * 60_000 + 10 * DAY);
  });
});
