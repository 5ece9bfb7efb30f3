// The Notary certificate on Workers, in D1 (any SqlDatabase): strongly consistent, and its conditional
// writes let the first isolate's certificate win (KV is eventually consistent, so two isolates could
// each publish their own). Read it with
// `wrangler d1 execute countersign --remote --command "SELECT pem FROM notary_certificates"`.
import type { CertificateStore } from "../../signing/certificate-store.ts";
import type { SqlDatabase } from "./database.ts";

export const CERTIFICATE_TABLE = `CREATE TABLE IF NOT EXISTS notary_certificates (
  key_id TEXT PRIMARY KEY,
  pem TEXT NOT NULL,
  not_after INTEGER NOT NULL,
  created_at TEXT NOT NULL
)`;

const SELECT = "SELECT pem FROM notary_certificates WHERE key_id = ?";
const INSERT = `INSERT INTO notary_certificates (key_id, pem, not_after, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (key_id) DO NOTHING`;
const REPLACE = `UPDATE notary_certificates SET pem = ?, not_after = ?, created_at = ?
WHERE key_id = ? AND pem = ?`;

export function sqlCertificateStore(db: SqlDatabase): CertificateStore {
  // CREATE … IF NOT EXISTS once per store: a fresh database needs no migration step.
  let table: Promise<unknown> | undefined;
  const ready = () => {
    table ??= db.run(CERTIFICATE_TABLE).catch((error: unknown) => {
      table = undefined;
      throw error;
    });
    return table;
  };
  return {
    async read(keyId) {
      await ready();
      return (await db.first<{ pem: string }>(SELECT, [keyId]))?.pem;
    },

    async write(keyId, certificate, previous) {
      await ready();
      const { pem, notAfter, createdAt } = certificate;
      if (previous === undefined) {
        await db.run(INSERT, [keyId, pem, notAfter.getTime(), createdAt.toISOString()]);
      } else {
        await db.run(REPLACE, [pem, notAfter.getTime(), createdAt.toISOString(), keyId, previous]);
      }
    },
  };
}
