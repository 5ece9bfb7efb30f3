// The Notary certificate chain on Lambda. Verifiers trust a certificate, not a key (notation's trust
// store holds the certificate), so every container must sign with the same one: a chain from the
// configuration when given, else one self-signed leaf per KMS key, created by whichever container
// comes first and kept in the store's table under a fixed item (a conditional PutItem decides the
// race; the losers read the winner's). Renewed near expiry the same way.
import { X509Certificate } from "node:crypto";
import {
  certificatePem,
  certificateSpki,
  createNotaryCertificate,
  parseCertificateChain,
} from "../../lib/signing/certificate.ts";
import { CertificateError } from "../../lib/signing/errors.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import type { DynamoDbApi, Item, ItemOutput } from "../../lib/store/dynamodb/api.ts";
import { KEY_ATTRIBUTES } from "../../lib/store/dynamodb/keys.ts";

export interface CertificateChainOptions {
  readonly signer: Signer;
  /** `signer.certificateChain` of the configuration: the PEM text itself (a Lambda has no files). */
  readonly configured: string | undefined;
  readonly api: DynamoDbApi;
  readonly tableName: string;
  /** Renew when the stored certificate expires within this many days; default 30. */
  readonly renewWithinDays?: number;
  readonly now?: () => number;
}

/** The item's key: its own prefix, beside the store's JOB#, SIG#, LOCK# and DELIVERY# items. */
export function certificateItemKey(keyId: string): Item {
  return { [KEY_ATTRIBUTES.partition]: { S: `NOTARY_CERT#${keyId}` }, [KEY_ATTRIBUTES.sort]: { S: "CERT" } };
}

/** DER, leaf first. */
export async function lambdaCertificateChain(options: CertificateChainOptions): Promise<Uint8Array[]> {
  const spki = (await options.signer.publicKey()).spki;
  if (options.configured !== undefined) return configuredChain(options.configured, spki);
  const now = options.now ?? Date.now;
  const renewBefore = now() + (options.renewWithinDays ?? 30) * 86_400_000;
  const usable = (pem: string | undefined) => pem !== undefined && isUsable(pem, spki, renewBefore);

  const stored = await readStored(options);
  if (usable(stored)) return parseCertificateChain(stored!);
  const leaf = await createNotaryCertificate(options.signer, { subject: "CN=Countersign, O=Countersign" });
  const pem = certificatePem(leaf);
  if (await writeStored(options, pem, stored)) return [leaf];
  // Another container wrote first: everyone uses the winner's certificate.
  const winner = await readStored(options);
  if (usable(winner)) return parseCertificateChain(winner!);
  throw new CertificateError(`the stored Notary certificate for ${options.signer.keyId} is unusable`);
}

function configuredChain(text: string, spki: Uint8Array): Uint8Array[] {
  if (!text.trimStart().startsWith("-----BEGIN")) {
    throw new CertificateError(
      "signer.certificateChain must be the PEM text itself on Lambda (there are no files to read)",
    );
  }
  const chain = parseCertificateChain(text);
  if (!sameBytes(certificateSpki(chain[0]!), spki))
    throw new CertificateError("signer.certificateChain: the leaf certificate is for another key");
  return chain;
}

function isUsable(pem: string, spki: Uint8Array, renewBefore: number): boolean {
  try {
    const leaf = parseCertificateChain(pem)[0]!;
    const certificate = new X509Certificate(leaf);
    return sameBytes(certificateSpki(leaf), spki) && Date.parse(certificate.validTo) > renewBefore;
  } catch {
    return false;
  }
}

async function readStored(options: CertificateChainOptions): Promise<string | undefined> {
  const { Item: item } = await options.api.getItem({
    TableName: options.tableName,
    Key: certificateItemKey(options.signer.keyId),
    ConsistentRead: true,
  });
  return pemOf(item);
}

/** True when written; false when another writer changed the item since `previous` was read. */
async function writeStored(
  options: CertificateChainOptions,
  pem: string,
  previous: string | undefined,
): Promise<boolean> {
  try {
    await options.api.putItem({
      TableName: options.tableName,
      Item: {
        ...certificateItemKey(options.signer.keyId),
        pem: { S: pem },
        createdAt: { S: new Date((options.now ?? Date.now)()).toISOString() },
      },
      ...(previous === undefined
        ? {
            ConditionExpression: "attribute_not_exists(#pk)",
            ExpressionAttributeNames: { "#pk": KEY_ATTRIBUTES.partition },
          }
        : {
            ConditionExpression: "#pem = :previous",
            ExpressionAttributeNames: { "#pem": "pem" },
            ExpressionAttributeValues: { ":previous": { S: previous } },
          }),
    });
    return true;
  } catch (error) {
    if ((error as { name?: unknown }).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

function pemOf(item: ItemOutput | undefined): string | undefined {
  const pem = item?.pem?.S;
  return typeof pem === "string" && pem.length > 0 ? pem : undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
