// The signature formats Countersign writes (DESIGN.md "Signature formats"); configuration, jobs,
// idempotency records and verdicts all speak these names. A file without imports, so that config and the
// store can name formats without loading them.

export const FormatNames = ["notary", "cosign", "bundle"] as const;

/** `notary`: Notary Project JWS referrer; `cosign`: classic `.sig` tag; `bundle`: sigstore bundle referrer. */
export type FormatName = (typeof FormatNames)[number];

export function isFormatName(value: unknown): value is FormatName {
  return typeof value === "string" && (FormatNames as readonly string[]).includes(value);
}
