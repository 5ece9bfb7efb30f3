import { X509Certificate } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { certificatePem, createNotaryCertificate } from "../../lib/signing/certificate.ts";
import { notaryCertificateChain } from "../../lib/signing/certificate-store.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { sqlCertificateStore } from "../../lib/store/sql/certificates.ts";
import type { SqlDatabase } from "../../lib/store/sql/database.ts";
import { sqliteDatabase } from "../node/sqlite-store.ts";
import type { CloudflareEnv } from "./bindings.ts";
import { workerCertificateChain } from "./notary-certificate.ts";
import { WorkerSetupError } from "./worker-config.ts";

const DAY = 86_400_000;
const env = (bindings: Record<string, unknown>) => bindings as unknown as CloudflareEnv;
const storedCertificate = (db: SqlDatabase, signer: Signer, options: { now?: () => number } = {}) =>
  notaryCertificateChain({ signer, store: sqlCertificateStore(db), ...options });

describe("the Notary certificate on Workers", () => {
  it("keeps the first isolate's self-signed certificate: racing isolates all get the same one", async () => {
    // The same SQL D1 runs (the store conformance suite proves D1 and node:sqlite agree on UPSERT).
    const db = sqliteDatabase(new DatabaseSync(":memory:"));
    const signer = await LocalSigner.generate("ES256");
    const chains = await Promise.all(Array.from({ length: 5 }, () => storedCertificate(db, signer)));
    const leaves = new Set(chains.map((chain) => Buffer.from(chain[0]!).toString("hex")));
    expect(leaves.size).toBe(1);
    const certificate = new X509Certificate(chains[0]![0]!);
    expect(certificate.subject).toContain("CN=Countersign");
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(Buffer.from(certificate.publicKey.export({ type: "spki", format: "der" }))).toEqual(
      Buffer.from((await signer.publicKey()).spki),
    );
    // Later starts read it back unchanged.
    expect((await storedCertificate(db, signer))[0]).toEqual(chains[0]![0]);
  });

  it("renews a certificate close to expiry, and keeps one per key", async () => {
    const db = sqliteDatabase(new DatabaseSync(":memory:"));
    const signer = await LocalSigner.generate("ES256");
    const start = Date.parse("2026-01-01T00:00:00Z");
    const [first] = await storedCertificate(db, signer, { now: () => start });
    const [sameMonth] = await storedCertificate(db, signer, { now: () => start + 300 * DAY });
    expect(sameMonth).toEqual(first);
    const [renewed] = await storedCertificate(db, signer, { now: () => start + 340 * DAY });
    expect(renewed).not.toEqual(first);
    const other = await LocalSigner.generate("ES256");
    const [otherLeaf] = await storedCertificate(db, other, { now: () => start + 340 * DAY });
    expect(otherLeaf).not.toEqual(renewed);
  });

  it("uses a chain from COUNTERSIGN_CERTIFICATE_CHAIN, and refuses one for another key", async () => {
    const db = sqliteDatabase(new DatabaseSync(":memory:"));
    const signer = await LocalSigner.generate("ES256");
    const leaf = await createNotaryCertificate(signer, { subject: "CN=Supplied" });
    const chain = await workerCertificateChain(
      env({ COUNTERSIGN_CERTIFICATE_CHAIN: certificatePem(leaf) }),
      db,
      signer,
    );
    expect(chain).toEqual([leaf]);
    const stranger = await LocalSigner.generate("ES256");
    await expect(
      workerCertificateChain(env({ COUNTERSIGN_CERTIFICATE_CHAIN: certificatePem(leaf) }), db, stranger),
    ).rejects.toBeInstanceOf(WorkerSetupError);
  });
});
