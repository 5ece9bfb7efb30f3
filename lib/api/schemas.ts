// The REST API's bodies as zod schemas: requests are parsed with them at the edge, and the OpenAPI 3.1
// document is generated from them, so the documentation cannot drift from what the code accepts.
import { z } from "@hono/zod-openapi";
import { FormatNames, signatureFormats } from "../formats/index.ts";
import { JobStatuses } from "../store/store.ts";

const digest = z
  .string()
  .regex(/^sha256:[a-f0-9]{64}$/)
  .openapi({ example: `sha256:${"a".repeat(64)}` });
const timestamp = z.string().openapi({ format: "date-time", example: "2025-01-01T00:00:00.000Z" });

export const FormatNameSchema = z.enum(FormatNames).openapi("FormatName", {
  description: `${signatureFormats.map((format) => `\`${format.name}\`: ${format.summary}`).join("; ")}.`,
});

/** Where an attachment was found: the referrers API, the tag-schema index, or a format's own tag. */
const AttachmentSources = [
  "referrers-api",
  "referrers-tag",
  ...signatureFormats.flatMap((format) => (format.signatureTag === undefined ? [] : [`${format.name}-tag`])),
] as [string, ...string[]];

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "urn:countersign:problem:invalid-request" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional().openapi({ description: "The request id (also in `X-Request-Id`)." }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "For invalid input: each offending field." }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details, served as `application/problem+json`." });

export const JobRequestSchema = z
  .object({
    registry: z.string().openapi({ example: "127.0.0.1:5000" }),
    repository: z.string().openapi({ example: "team/app" }),
    reference: z.string().openapi({ description: "The tag or digest the request named.", example: "v1" }),
    digest: digest.optional(),
  })
  .openapi("JobRequest");

const FormatOutcomeSchema = z
  .object({
    status: z.enum(["signed", "existing", "skipped", "failed"]),
    signatureDigest: digest.optional(),
    artifactType: z.string().optional(),
    detail: z.string().optional(),
    at: timestamp,
  })
  .openapi("FormatOutcome");

export const JobStatusSchema = z.enum(JobStatuses).openapi("JobStatus", {
  description: "`failed`: the last attempt failed and will be retried; `dead`: given up, see `lastError`.",
});

export const JobSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    request: JobRequestSchema,
    source: z.string().optional().openapi({ example: "webhook:local" }),
    attempts: z.number().int(),
    lastError: z.string().optional(),
    outcomes: z.partialRecord(FormatNameSchema, FormatOutcomeSchema),
    createdAt: timestamp,
    updatedAt: timestamp,
    startedAt: timestamp.optional(),
    finishedAt: timestamp.optional(),
  })
  .openapi("Job");

export const JobListSchema = z.object({ jobs: z.array(JobSchema) }).openapi("JobList");

export const SignatureRequestSchema = z
  .object({
    reference: z
      .string()
      .min(1)
      .max(1024)
      .openapi({ example: "127.0.0.1:5000/team/app:v1", description: "Image reference: tag or digest." }),
    formats: z
      .array(FormatNameSchema)
      .min(1)
      .optional()
      .openapi({ description: "Default: the configured formats." }),
    recursive: z
      .boolean()
      .optional()
      .openapi({ description: "For an index, also sign every child manifest." }),
  })
  .strict()
  .openapi("SignatureRequest");

export const SignatureAcceptedSchema = z
  .object({
    jobId: z.string(),
    status: JobStatusSchema,
    request: JobRequestSchema,
    links: z.object({ job: z.string().openapi({ example: "/v1/jobs/0b6c…" }) }),
  })
  .openapi("SignatureAccepted");

export const AttachmentSchema = z
  .object({
    subject: digest.openapi({ description: "The image the artifact is attached to." }),
    digest: digest.openapi({ description: "The attached artifact's manifest digest." }),
    mediaType: z.string(),
    artifactType: z.string().openapi({ description: "`artifactType`, else the config media type." }),
    format: FormatNameSchema.optional().openapi({
      description: "Set when it is a signature format Countersign knows.",
    }),
    created: timestamp.optional().openapi({ description: "`org.opencontainers.image.created`." }),
    signingKey: z
      .string()
      .optional()
      .openapi({ description: "Key id (KMS key ARN or local key JWK thumbprint) when known." }),
    foundVia: z.enum(AttachmentSources),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .openapi("Attachment");

export const AttachmentListSchema = z
  .object({ reference: z.string(), attachments: z.array(AttachmentSchema) })
  .openapi("AttachmentList");

export const SignatureCheckSchema = z
  .object({
    format: FormatNameSchema,
    digest: digest.openapi({
      description: "The referrer manifest (notary, bundle) or the `.sig` manifest (cosign).",
    }),
    ok: z.boolean(),
    detail: z
      .string()
      .openapi({ description: "Why it failed; for a success, the key or trust anchor that matched." }),
    created: timestamp.optional(),
  })
  .openapi("SignatureCheck");

export const FormatReportSchema = z
  .object({
    format: FormatNameSchema,
    verified: z
      .boolean()
      .openapi({ description: "At least one attached signature of this format verifies." }),
    signatures: z.array(SignatureCheckSchema),
  })
  .openapi("FormatReport");

export const VerifyReportSchema = z
  .object({
    reference: z.string(),
    digest: digest.openapi({ description: "The subject's digest the signatures were checked against." }),
    verified: z.boolean().openapi({ description: "Every checked format has a signature that verifies." }),
    formats: z.array(FormatReportSchema),
  })
  .openapi("VerifyReport");

export const ReferenceQuerySchema = z.object({
  ref: z
    .string()
    .min(1)
    .max(1024)
    .openapi({ param: { name: "ref", in: "query" }, example: "127.0.0.1:5000/team/app:v1" }),
});

export const JobListQuerySchema = z.object({
  status: JobStatusSchema.optional().openapi({ param: { name: "status", in: "query" } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description: "Newest first; default 50." }),
});

export const JobIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
});

const JwkSchema = z
  .object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.string().optional() })
  .catchall(z.unknown())
  .openapi("Jwk");

export const JwksSchema = z.object({ keys: z.array(JwkSchema) }).openapi("Jwks");

export const PublicKeySchema = z
  .object({
    keyId: z.string(),
    algorithm: z.string().openapi({ example: "ES256" }),
    pem: z.string(),
    jwk: JwkSchema,
  })
  .openapi("PublicKey");

export const KeyListSchema = z.object({ keys: z.array(PublicKeySchema) }).openapi("KeyList");

export const HealthSchema = z
  .object({ status: z.enum(["ok", "unavailable"]), store: z.enum(["ok", "unavailable"]) })
  .openapi("Health");

export const WebhookNameParamSchema = z.object({
  name: z.string().openapi({ param: { name: "name", in: "path" }, example: "local" }),
});

export const WebhookAcceptedSchema = z
  .object({
    accepted: z.array(z.string()).openapi({ description: "Ids of the jobs created." }),
    ignored: z.array(z.object({ reason: z.string(), eventId: z.string().optional() })),
  })
  .openapi("WebhookAccepted");

export type SignatureRequest = z.infer<typeof SignatureRequestSchema>;
export type Attachment = z.infer<typeof AttachmentSchema>;
export type SignatureCheck = z.infer<typeof SignatureCheckSchema>;
export type FormatReport = z.infer<typeof FormatReportSchema>;
export type VerifyReport = z.infer<typeof VerifyReportSchema>;
export type PublicKey = z.infer<typeof PublicKeySchema>;
export type WebhookAccepted = z.infer<typeof WebhookAcceptedSchema>;
