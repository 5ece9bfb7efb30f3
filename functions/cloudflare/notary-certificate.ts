// The Notary certificate chain on Workers: a PEM chain from the COUNTERSIGN_CERTIFICATE_CHAIN secret,
// else a self-signed leaf for the signing key kept in D1. Verifiers trust that certificate, not the
// key, so it must be the same in every isolate and across deploys: D1 is strongly consistent and its
// conditional insert lets the first isolate's certificate win (KV is eventually consistent, so two
// isolates could each publish their own). Read it with
// `wrangler d1 execute countersign --remote --command "SELECT pem FROM notary_certificates"`.
import {
  certificatePem,
  certificateSpki,
  createNotaryCertificate,
  parseCertificateChain,
} from "../../lib/signing/certificate.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import type { SqlDatabase } from "../../lib/store/sql/database.ts";
import type { CloudflareEnv } from "./bindings.ts";
import { WorkerSetupError } from "./worker-config.ts";

export const CERTIFICATE_CHAIN_BINDING = "COUNTERSIGN_CERTIFICATE_CHAIN";

export const CERTIFICATE_TABLE = `CREATE TABLE IF NOT EXISTS notary_certificates (
  key_id TEXT PRIMARY KEY,
  pem TEXT NOT NULL,
  not_after INTEGER NOT NULL,
  created_at TEXT NOT NULL
)`;

const SELECT = "SELECT pem, not_after FROM notary_certificates WHERE key_id = ?";
// A stored certificate is replaced only once it is close to expiry, so racing isolates converge.
const UPSERT = `INSERT INTO notary_certificates (key_id, pem, not_after, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (key_id) DO UPDATE SET pem = excluded.pem, not_after = excluded.not_after,
  created_at = excluded.created_at
WHERE notary_certificates.not_after <= ?`;

const DAY_MS = 86_400_000;

export interface StoredCertificateOptions {
  readonly now?: () => number;
  /** Renew when the stored certificate expires within this many days; default 30 (as on Node). */
  readonly renewWithinDays?: number;
  readonly validityDays?: number;
}

/** DER, leaf first. */
export async function workerCertificateChain(
  env: CloudflareEnv,
  db: SqlDatabase,
  signer: Signer,
  options: StoredCertificateOptions = {},
): Promise<Uint8Array[]> {
  const pem = env[CERTIFICATE_CHAIN_BINDING];
  if (typeof pem !== "string" || pem.trim() === "") return storedCertificate(db, signer, options);
  const chain = parseCertificateChain(pem);
  const spki = (await signer.publicKey()).spki;
  if (!sameBytes(certificateSpki(chain[0]!), spki))
    throw new WorkerSetupError(
      `the leaf certificate in ${CERTIFICATE_CHAIN_BINDING} is not for the signing key ${signer.keyId}`,
    );
  return chain;
}

/** The self-signed leaf for `signer` from D1, created (once, by whichever isolate wins) when missing. */
export async function storedCertificate(
  db: SqlDatabase,
  signer: Signer,
  options: StoredCertificateOptions = {},
): Promise<Uint8Array[]> {
  const now = (options.now ?? Date.now)();
  const renewBefore = now + (options.renewWithinDays ?? 30) * DAY_MS;
  await db.run(CERTIFICATE_TABLE);
  const stored = await db.first<{ pem: string; not_after: number }>(SELECT, [signer.keyId]);
  if (stored !== undefined && stored.not_after > renewBefore) return parseCertificateChain(stored.pem);

  const notBefore = new Date(now - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 365) * DAY_MS);
  const leaf = await createNotaryCertificate(signer, {
    subject: "CN=Countersign, O=Countersign",
    notBefore,
    notAfter,
  });
  await db.run(UPSERT, [
    signer.keyId,
    certificatePem(leaf),
    notAfter.getTime(),
    new Date(now).toISOString(),
    renewBefore,
  ]);
  const winner = await db.first<{ pem: string }>(SELECT, [signer.keyId]);
  if (winner === undefined) throw new WorkerSetupError("the Notary certificate vanished from D1");
  return parseCertificateChain(winner.pem);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
