// The trust material handed to @sigstore/verify for key-based verification: one public key, plus the
// transparency logs and timestamp authorities a bundle's entries may need (none for our own bundles).
import type { PublicKey, TrustedRoot } from "@sigstore/protobuf-specs";
import { toBase64 } from "../../encoding.ts";
import { sha256 } from "../../oci/digest.ts";
import type { SpkiKey } from "../public-key.ts";

export interface TransparencyLogKey {
  /** SPKI DER of the log's signing key; its SHA-256 is the log ID (Rekor v1). */
  readonly publicKey: Uint8Array;
  /** e.g. `https://rekor.sigstore.dev`: checkpoints are matched to the log by this host name. */
  readonly baseUrl: string;
}

export interface TrustedRootOptions {
  readonly transparencyLogs?: readonly TransparencyLogKey[];
  /** Each authority's chain, leaf first, DER. */
  readonly timestampAuthorities?: readonly (readonly Uint8Array[])[];
}

const BEGINNING = "1970-01-01T00:00:00Z";

/** A `TrustedRoot` (sigstore protobuf-specs trustroot) in its JSON form, for `TrustedRoot.fromJSON`. */
export async function trustedRootJson(options: TrustedRootOptions): Promise<Record<string, unknown>> {
  return {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: await Promise.all(
      (options.transparencyLogs ?? []).map(async (log) => ({
        baseUrl: log.baseUrl,
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: toBase64(log.publicKey),
          keyDetails: "PKIX_ECDSA_P256_SHA_256",
          validFor: { start: BEGINNING },
        },
        logId: { keyId: toBase64(await sha256(log.publicKey)) },
      })),
    ),
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: (options.timestampAuthorities ?? []).map((chain) => ({
      certChain: { certificates: chain.map((der) => ({ rawBytes: toBase64(der) })) },
      validFor: { start: BEGINNING },
    })),
  } satisfies Partial<Record<keyof TrustedRoot, unknown>>;
}

/**
 * The verification key as @sigstore/verify's key locator takes it: the SPKI as it is. The locator
 * ignores `keyDetails` (it calls `createPublicKey(rawBytes)`), so node:crypto decides the scheme from the
 * key: PKCS#1 v1.5 with SHA-256 for rsaEncryption, what sigstore expects of RSA keys; ECDSA with
 * SHA-256, see signature-content.ts for P-384 and P-521. `keyDetails` says the same, for readers.
 */
export function verificationPublicKey(key: SpkiKey): PublicKey {
  if (key.type === "rsa") {
    // PKIX_RSA_PKCS1V15_2048/3072/4096_SHA256 = 9/10/11, else PKIX_RSA_PKCS1V5 = 3 (sigstore_common.proto).
    const keyDetails = ({ 2048: 9, 3072: 10, 4096: 11 } as Record<number, number>)[key.modulusBits!] ?? 3;
    return { rawBytes: asBuffer(key.spki), keyDetails };
  }
  // PKIX_ECDSA_P256_SHA_256 = 5, P384_SHA_384 = 12, P521_SHA_512 = 13 (sigstore_common.proto).
  const keyDetails = ({ "P-256": 5, "P-384": 12, "P-521": 13 } as const)[key.curve!];
  return { rawBytes: asBuffer(key.spki), keyDetails };
}

/** sigstore-js types byte fields as Node's `Buffer` but hands them to APIs that take any Uint8Array. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return bytes as Buffer;
}
