// The Notary certificate chain a service signs with. Verifiers trust a certificate, not a key
// (notation's trust store holds certificates), so every process, isolate and container signing with
// one key must use the same certificate: a chain from the configuration when one is given, else one
// self-signed leaf per key, kept in a CertificateStore (a file, D1, DynamoDB) and created by whichever
// process comes first: the store's conditional write decides the race and the others read the
// winner's. Renewed the same way when it nears expiry.
import { bytesEqual } from "../encoding.ts";
import {
  certificateNotAfter,
  certificatePem,
  certificateSpki,
  createNotaryCertificate,
  parseCertificateChain,
} from "./certificate.ts";
import { CertificateError } from "./errors.ts";
import type { Signer } from "./signer.ts";

export interface StoredCertificate {
  /** The PEM chain, leaf first. */
  readonly pem: string;
  readonly notAfter: Date;
  readonly createdAt: Date;
}

/** Where a runtime keeps the self-signed certificate of each signing key. */
export interface CertificateStore {
  /** The PEM chain stored for `keyId`, if any. */
  read(keyId: string): Promise<string | undefined>;
  /**
   * Stores `certificate` for `keyId` unless another writer got there first, i.e. only while what is
   * stored is still `previous` (nothing, when undefined). Whether it won or not, the caller reads back.
   */
  write(keyId: string, certificate: StoredCertificate, previous: string | undefined): Promise<void>;
}

export interface NotaryCertificateChainOptions {
  readonly signer: Signer;
  readonly store: CertificateStore;
  /** A PEM chain (leaf first) from the configuration: used as it is, once checked against the key. */
  readonly configured?: string | undefined;
  /** Renew when the stored certificate expires within this many days; default 30. */
  readonly renewWithinDays?: number;
  /** Of a new certificate; default 365. */
  readonly validityDays?: number;
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;

/** DER, leaf first. */
export async function notaryCertificateChain(options: NotaryCertificateChainOptions): Promise<Uint8Array[]> {
  const { signer, store } = options;
  const spki = (await signer.publicKey()).spki;
  if (options.configured !== undefined) return configuredCertificateChain(options.configured, spki);
  const now = (options.now ?? Date.now)();
  const renewBefore = now + (options.renewWithinDays ?? 30) * DAY_MS;
  const usable = (pem: string | undefined): pem is string =>
    pem !== undefined && isUsable(pem, spki, renewBefore);

  const stored = await store.read(signer.keyId);
  if (usable(stored)) return parseCertificateChain(stored);
  // A few minutes back: tolerates clock skew between signer and verifier.
  const notBefore = new Date(now - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 365) * DAY_MS);
  const leaf = await createNotaryCertificate(signer, {
    subject: "CN=Countersign, O=Countersign",
    notBefore,
    notAfter,
  });
  const pem = certificatePem(leaf);
  await store.write(signer.keyId, { pem, notAfter, createdAt: new Date(now) }, stored);
  const winner = await store.read(signer.keyId);
  if (winner === pem) return [leaf];
  // Another process wrote first: everyone uses the winner's certificate.
  if (usable(winner)) return parseCertificateChain(winner);
  throw new CertificateError(`the stored Notary certificate for ${signer.keyId} is unusable`);
}

/** A configured chain, refused when its leaf is for another key than the signer's. */
export function configuredCertificateChain(pem: string, spki: Uint8Array): Uint8Array[] {
  const chain = parseCertificateChain(pem);
  if (!bytesEqual(certificateSpki(chain[0]!), spki))
    throw new CertificateError(
      "the configured certificate chain's leaf is for another key than the signer's",
    );
  return chain;
}

function isUsable(pem: string, spki: Uint8Array, renewBefore: number): boolean {
  try {
    const leaf = parseCertificateChain(pem)[0]!;
    return bytesEqual(certificateSpki(leaf), spki) && certificateNotAfter(leaf).getTime() > renewBefore;
  } catch {
    return false;
  }
}
