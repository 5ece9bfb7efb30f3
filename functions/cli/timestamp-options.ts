// `countersign sign --timestamp-url URL --timestamp-root-cert FILE`: notation's flag names. Every
// signature then carries an RFC 3161 timestamp, and the TSA's answer must verify against that root.
import { httpTimestamper, type Timestamper } from "../../lib/formats/timestamp/client.ts";
import { readCertificates, TrustFileError } from "../node/trust-files.ts";
import { UsageError } from "./command.ts";

export const TIMESTAMP_HELP = `  --timestamp-url URL
                    RFC 3161 timestamping authority: every signature carries its timestamp over
                    the signature value (Notary timestampSignature, bundle rfc3161Timestamps,
                    cosign's rfc3161timestamp annotation); a TSA failure fails the signing
  --timestamp-root-cert FILE
                    the TSA's root certificate (PEM): its answers must verify against it`;

export async function timestamperOption(
  url: string | undefined,
  rootFile: string | undefined,
): Promise<Timestamper | undefined> {
  if (url === undefined && rootFile === undefined) return undefined;
  if (url === undefined || rootFile === undefined) {
    throw new UsageError("--timestamp-url and --timestamp-root-cert go together (as in notation sign)");
  }
  let roots: Uint8Array[];
  try {
    roots = await readCertificates(rootFile);
  } catch (error) {
    if (error instanceof TrustFileError) {
      throw new UsageError(`--timestamp-root-cert ${error.message}`, { cause: error });
    }
    throw error;
  }
  try {
    return httpTimestamper({ url, roots });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`--timestamp-url: ${error.message}`);
    throw error;
  }
}
