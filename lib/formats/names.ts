// The signature formats Countersign writes (DESIGN.md "Signature formats"); configuration, jobs,
// idempotency records and verdicts all speak these names. Kept apart from the formats themselves (it
// imports only media-type constants), so that config and the store can name formats without loading them.
import { MediaType } from "../oci/media-types.ts";

export const FormatNames = ["notary", "cosign", "bundle"] as const;

/** `notary`: Notary Project JWS referrer; `cosign`: classic `.sig` tag; `bundle`: sigstore bundle referrer. */
export type FormatName = (typeof FormatNames)[number];

export function isFormatName(value: unknown): value is FormatName {
  return typeof value === "string" && (FormatNames as readonly string[]).includes(value);
}

/** The artifact type of each format's signature: the referrer's (notary, bundle); cosign's `.sig` layer's. */
export const FormatArtifactTypes: Readonly<Record<FormatName, string>> = {
  notary: MediaType.NotarySignature,
  bundle: MediaType.SigstoreBundle,
  cosign: MediaType.CosignSimpleSigning,
};
