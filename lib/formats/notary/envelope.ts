// The Notary Project JWS envelope (notaryproject/specifications, signature-envelope-jws.md): flattened
// JWS JSON serialization (RFC 7515 §7.2.2), its protected and unprotected headers, and its payload.
import { z } from "zod";
import { MediaType } from "../../oci/media-types.ts";

export const NotaryMediaType = {
  Signature: MediaType.NotarySignature,
  JwsEnvelope: MediaType.Jose,
  Payload: "application/vnd.cncf.notary.payload.v1+json",
} as const;

export const NotaryHeader = {
  SigningScheme: "io.cncf.notary.signingScheme",
  SigningTime: "io.cncf.notary.signingTime",
  Expiry: "io.cncf.notary.expiry",
  AuthenticSigningTime: "io.cncf.notary.authenticSigningTime",
  SigningAgent: "io.cncf.notary.signingAgent",
  TimestampSignature: "io.cncf.notary.timestampSignature",
} as const;

/** The only signing scheme without a signing authority; `notary.x509.signingAuthority` needs TSA trust. */
export const SigningSchemeX509 = "notary.x509";
/** The signer is a signing authority whose `authenticSigningTime` is trusted (no TSA involved). */
export const SigningSchemeAuthority = "notary.x509.signingAuthority";

export const DefaultSigningAgent = "Countersign/0.1";

/** RFC 3339 date-time (§5.6), as Go's `time.Time` reads it: optional fraction, `Z` or a numeric offset. */
const Rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export const Rfc3339Time = z
  .string()
  .regex(Rfc3339, "not an RFC 3339 date-time")
  .transform((text, context) => {
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) {
      context.addIssue({ code: "custom", message: "not a valid date" });
      return z.NEVER;
    }
    return date;
  });

export const FlattenedJws = z.object({
  payload: z.string(),
  protected: z.string(),
  header: z
    .object({
      x5c: z.array(z.string()).min(1, "x5c must hold at least the signing certificate"),
      [NotaryHeader.SigningAgent]: z.string().optional(),
      [NotaryHeader.TimestampSignature]: z.string().optional(),
    })
    .loose(),
  signature: z.string(),
});
export type FlattenedJws = z.infer<typeof FlattenedJws>;

export const ProtectedHeader = z
  .object({
    alg: z.string(),
    cty: z.string(),
    crit: z.array(z.string()),
    [NotaryHeader.SigningScheme]: z.string(),
    [NotaryHeader.SigningTime]: Rfc3339Time.optional(),
    [NotaryHeader.Expiry]: Rfc3339Time.optional(),
    [NotaryHeader.AuthenticSigningTime]: Rfc3339Time.optional(),
  })
  .loose();
export type ProtectedHeader = z.infer<typeof ProtectedHeader>;

export const NotaryPayload = z.object({
  targetArtifact: z
    .object({
      mediaType: z.string(),
      digest: z.string(),
      size: z.number().int().nonnegative(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .loose(),
});
