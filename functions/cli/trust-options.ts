// The trust flags of `countersign verify` beyond --key and --trust-store: notation's trust policy and
// stores, a `tsa` store beside --trust-store, cosign's --trusted-root and --use-signed-timestamps.
import type { VerificationMaterial } from "../../lib/formats/format.ts";
import {
  readCertificates,
  readNotationTrust,
  readTrustedRootFile,
  TrustFileError,
} from "../node/trust-files.ts";
import { UsageError } from "./command.ts";

export const TRUST_HELP = `  --tsa-trust-store PATH
                     TSA root certificates (a PEM file or directory) beside --trust-store, as a
                     \`tsa\` store: Notary signatures must then carry a timestamp that verifies
  --trust-policy FILE
                     notation trust policy (trustpolicy.json): scopes, levels, stores, identities;
                     decides Notary signatures instead of --trust-store
  --trust-store-root DIR
                     the stores the policy names, laid out as notation's truststore folder:
                     x509/<ca|signingAuthority|tsa>/<name>/*.pem (~/.config/notation/truststore)
  --trusted-root FILE
                     Sigstore trusted_root.json: bundle tlog entries and timestamps and cosign .sig
                     timestamps are checked against it, offline (as cosign verify --trusted-root)
  --use-signed-timestamps
                     bundles must carry an RFC 3161 timestamp that verifies; a cosign .sig
                     timestamp must verify when present (as cosign verify)`;

export interface TrustFlags {
  readonly "tsa-trust-store"?: string | undefined;
  readonly "trust-policy"?: string | undefined;
  readonly "trust-store-root"?: string | undefined;
  readonly "trusted-root"?: string | undefined;
  readonly "use-signed-timestamps"?: boolean | undefined;
}

export async function withTrustOptions(
  material: VerificationMaterial,
  flags: TrustFlags,
): Promise<VerificationMaterial> {
  if (flags["trust-store-root"] !== undefined && flags["trust-policy"] === undefined) {
    throw new UsageError("--trust-store-root goes with --trust-policy");
  }
  const tsa = flags["tsa-trust-store"];
  const policy = flags["trust-policy"];
  const trustedRoot = flags["trusted-root"];
  try {
    return {
      ...material,
      ...(tsa !== undefined && { tsaTrustStore: await flagged("--tsa-trust-store", readCertificates(tsa)) }),
      ...(policy !== undefined && { notation: await readNotationTrust(policy, flags["trust-store-root"]) }),
      ...(trustedRoot !== undefined && { trustedRoot: await readTrustedRootFile(trustedRoot) }),
      ...(flags["use-signed-timestamps"] === true && { requireSignedTimestamp: true }),
    };
  } catch (error) {
    if (error instanceof TrustFileError || (error as { code?: unknown }).code === "ENOENT") {
      throw new UsageError((error as Error).message, { cause: error });
    }
    throw error;
  }
}

/** A trust file's error with the flag that named it in front. */
async function flagged<T>(flag: string, read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof TrustFileError)
      throw new TrustFileError(`${flag} ${error.message}`, { cause: error });
    throw error;
  }
}
