// The signature formats Countersign writes (DESIGN.md "Signature formats"); configuration, jobs and
// idempotency records all speak these names.

export const FormatNames = ["notary", "cosign", "bundle"] as const;

/** `notary`: Notary Project JWS referrer; `cosign`: classic `.sig` tag; `bundle`: sigstore bundle referrer. */
export type FormatName = (typeof FormatNames)[number];

export function isFormatName(value: string): value is FormatName {
  return (FormatNames as readonly string[]).includes(value);
}
