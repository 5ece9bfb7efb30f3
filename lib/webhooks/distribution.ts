// CNCF distribution notifications (docs/content/about/notifications.md). 2.x posts
// `application/vnd.docker.distribution.events.v1+json`, 3.x `…events.v2+json`; both are the envelope
// `{"events": [...]}` (3.x sends one event per envelope, 2.x may batch). Manifest pushes become PushEvents;
// pulls, deletes, mounts and blob pushes (the registry sends those unless `ignore` filters them) are ignored.
import { z } from "zod";
import { registryHost, repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
import { ManifestAccept } from "../oci/media-types.ts";
import { headerCredential, verifyHeaderCredential } from "./header-credential.ts";
import { hostOfUrl } from "./image-reference.ts";
import { MAX_EVENTS_PER_DELIVERY, MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, rejectPayload, validatePayload } from "./payload.ts";
import type { PushEvent } from "./push-event.ts";
import type { IgnoredEvent, ParsedDelivery, WebhookSource } from "./source.ts";

export const distributionSettings = z.strictObject({
  kind: z.literal("distribution"),
  /** The header configured in the registry's `notifications.endpoints[].headers`. */
  auth: headerCredential,
});
export type DistributionSettings = z.infer<typeof distributionSettings>;

const eventId = z.string().max(MAX_FIELD_LENGTH);

// First pass: just enough to classify, so that a malformed pull or blob event cannot fail a batch.
const envelope = z.object({
  events: z
    .array(
      z.looseObject({
        id: eventId.optional(),
        action: z.string().max(MAX_FIELD_LENGTH),
        target: z.looseObject({ mediaType: z.string().max(MAX_FIELD_LENGTH).optional() }).optional(),
      }),
    )
    .max(MAX_EVENTS_PER_DELIVERY),
});

// Second pass, for manifest pushes only: everything a PushEvent needs.
const manifestPush = z.object({
  id: eventId.optional(),
  target: z.object({
    mediaType: z.string(),
    digest: sha256Digest,
    repository: repositoryName,
    url: z.string().optional(),
    // Go's `omitempty` drops an empty tag; treat "" the same.
    tag: z.union([z.literal(""), tagName]).optional(),
  }),
  request: z
    .object({ host: z.string().optional(), useragent: z.string().max(MAX_FIELD_LENGTH).optional() })
    .optional(),
});

function ignoreReason(action: string, mediaType: string | undefined): string | undefined {
  if (action !== "push") return `${action} event`;
  if (mediaType === undefined) return "push without a media type";
  if (!(ManifestAccept as readonly string[]).includes(mediaType))
    return `push of ${mediaType} (not a manifest)`;
  return undefined;
}

/**
 * The host clients used: `target.url` is built from the request (honouring X-Forwarded-Host and
 * `http.host`), `request.host` is the Host header. Reported as sent; the policy decides whether it is ours.
 */
function registryOf(event: z.infer<typeof manifestPush>, at: string): string {
  if (event.target.url !== undefined) {
    const parsed = hostOfUrl(event.target.url);
    if ("problem" in parsed) rejectPayload("distribution", `${at}.target.url`, parsed.problem);
    return parsed.host;
  }
  if (event.request?.host !== undefined) {
    return validatePayload(registryHost, event.request.host, "distribution", `${at}.request.host`);
  }
  return rejectPayload("distribution", at, "neither target.url nor request.host names the registry");
}

function parseDistribution(body: unknown): ParsedDelivery {
  const { events: raw } = validatePayload(envelope, body, "distribution");
  const events: PushEvent[] = [];
  const ignored: IgnoredEvent[] = [];
  raw.forEach((candidate, index) => {
    const reason = ignoreReason(candidate.action, candidate.target?.mediaType);
    if (reason !== undefined) {
      ignored.push({ reason, ...(candidate.id !== undefined && { eventId: candidate.id }) });
      return;
    }
    const at = `events.${index}`;
    const event = validatePayload(manifestPush, candidate, "distribution", at);
    const tag = event.target.tag || undefined;
    events.push({
      registry: registryOf(event, at),
      repository: event.target.repository,
      ...(tag !== undefined && { tag }),
      digest: event.target.digest,
      mediaType: event.target.mediaType,
      ...(event.request?.useragent !== undefined && { userAgent: event.request.useragent }),
      ...(event.id !== undefined && { deliveryId: event.id }),
    });
  });
  return { events, ignored };
}

export const distributionSource: WebhookSource<DistributionSettings, typeof distributionSettings> = {
  kind: "distribution",
  settings: distributionSettings,
  summary:
    'CNCF distribution notifications. settings.auth: the header set in notifications.endpoints[].headers ({ header, value } | { basic } | { bearer }), or "none" (loopback registries only).',
  authenticate: (delivery, settings) => verifyHeaderCredential(delivery, settings.auth),
  parse: (delivery) => parseDistribution(readJsonBody(delivery)),
};
