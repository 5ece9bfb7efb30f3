// `io.cncf.notary.x509chain.thumbprint#S256`: a JSON array of the lowercase hex SHA-256 of each
// certificate's DER, leaf first (notaryproject/specifications, signature-specification.md "Storage").
import { sha256Hex } from "../../oci/digest.ts";

export const ThumbprintAnnotation = "io.cncf.notary.x509chain.thumbprint#S256";

export async function certificateThumbprints(chain: readonly Uint8Array[]): Promise<string[]> {
  return Promise.all(chain.map((der) => sha256Hex(der)));
}

/** The annotation value, exactly as notation writes it: `["<hex>","<hex>"]`. */
export async function thumbprintAnnotation(chain: readonly Uint8Array[]): Promise<string> {
  return JSON.stringify(await certificateThumbprints(chain));
}
