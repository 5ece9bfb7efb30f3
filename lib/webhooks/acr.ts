// Azure Container Registry webhooks (learn.microsoft.com, "Azure Container Registry webhook reference"):
// the event object itself, no envelope; the registry's login server in `request.host`. ACR can only add
// custom headers, so one of them carries the secret.
import { z } from "zod";
import { registryHost, repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
import { ManifestAccept } from "../oci/media-types.ts";
import { headerCredential, verifyHeaderCredential } from "./header-credential.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, validatePayload } from "./payload.ts";
import type { ParsedDelivery, WebhookSource } from "./source.ts";

export const acrSettings = z.strictObject({
  kind: z.literal("acr"),
  /** One of the webhook's custom headers. */
  auth: headerCredential,
});
export type AcrSettings = z.infer<typeof acrSettings>;

const text = z.string().max(MAX_FIELD_LENGTH);

// First pass, to classify: a `ping` (the portal's Ping button) or a chart event need not carry an image
// target, so a target that is not one only matters to the push check below.
const envelope = z.object({
  id: text.optional().catch(undefined),
  action: text,
  target: z
    .looseObject({ mediaType: text.optional() })
    .optional()
    .catch(() => undefined),
});

const pushEvent = z.object({
  target: z.object({
    mediaType: text.optional(),
    digest: sha256Digest,
    repository: repositoryName,
    tag: z.union([z.literal(""), tagName]).optional(),
  }),
  request: z.object({ host: registryHost }),
});

function parseAcr(body: unknown): ParsedDelivery {
  const head = validatePayload(envelope, body, "acr");
  const eventId = head.id !== undefined ? { eventId: head.id } : {};
  // `chart_push`, `delete`, `quarantine`… are not image pushes.
  if (head.action !== "push")
    return { events: [], ignored: [{ reason: `${head.action} event`, ...eventId }] };
  const mediaType = head.target?.mediaType;
  if (mediaType !== undefined && !(ManifestAccept as readonly string[]).includes(mediaType)) {
    return { events: [], ignored: [{ reason: `push of ${mediaType} (not a manifest)`, ...eventId }] };
  }
  const event = validatePayload(pushEvent, body, "acr");
  const tag = event.target.tag || undefined;
  return {
    events: [
      {
        registry: event.request.host,
        repository: event.target.repository,
        ...(tag !== undefined && { tag }),
        digest: event.target.digest,
        ...(mediaType !== undefined && { mediaType }),
        ...(head.id !== undefined && { deliveryId: head.id }),
      },
    ],
    ignored: [],
  };
}

export const acrSource: WebhookSource<AcrSettings, typeof acrSettings> = {
  kind: "acr",
  settings: acrSettings,
  summary: "Azure Container Registry webhook. settings.auth: one custom header.",
  authenticate: (delivery, settings) => verifyHeaderCredential(delivery, settings.auth),
  parse: (delivery) => parseAcr(readJsonBody(delivery)),
};
