// The Notary certificate chain on Workers: a PEM chain from the COUNTERSIGN_CERTIFICATE_CHAIN secret,
// else the self-signed leaf for the signing key that every isolate shares through D1
// (lib/store/sql/certificates.ts, lib/signing/certificate-store.ts).
import { notaryCertificateChain } from "../../lib/signing/certificate-store.ts";
import { CertificateError } from "../../lib/signing/errors.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import { sqlCertificateStore } from "../../lib/store/sql/certificates.ts";
import type { SqlDatabase } from "../../lib/store/sql/database.ts";
import type { CloudflareEnv } from "./bindings.ts";
import { WorkerSetupError } from "./worker-config.ts";

export const CERTIFICATE_CHAIN_BINDING = "COUNTERSIGN_CERTIFICATE_CHAIN";

/** DER, leaf first. */
export async function workerCertificateChain(
  env: CloudflareEnv,
  db: SqlDatabase,
  signer: Signer,
): Promise<Uint8Array[]> {
  const pem = env[CERTIFICATE_CHAIN_BINDING];
  const configured = typeof pem === "string" && pem.trim() !== "" ? pem : undefined;
  try {
    return await notaryCertificateChain({ signer, configured, store: sqlCertificateStore(db) });
  } catch (error) {
    if (configured === undefined || !(error instanceof CertificateError)) throw error;
    throw new WorkerSetupError(`${CERTIFICATE_CHAIN_BINDING}: ${error.message}`, { cause: error });
  }
}
