// zot's events extension (pkg/extensions/events): CloudEvents over HTTP, binary mode by default (the
// cloudevents sdk-go), `type: zotregistry.image.updated`, data `{name, reference, digest, mediaType,
// manifest}` (and `actor`, `request` since 2.1.18). `reference` is the tag, or the digest on a push by
// digest. The payload names no host. `image.deleted`, `image.lint_failed` and `repository.created` are
// ignored.
import { z } from "zod";
import { isDigestLike, registryHost, repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
import { readCloudEvent } from "./cloud-event.ts";
import { headerCredential, verifyHeaderCredential } from "./header-credential.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { validatePayload } from "./payload.ts";
import type { ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";

export const zotSettings = z.strictObject({
  kind: z.literal("zot"),
  /** The sink's credentials (zot sends Basic), or a custom header added in front of it. */
  auth: headerCredential,
  /** The registry host clients use for this zot, e.g. `zot.example.com:5000`. */
  registry: registryHost,
});
export type ZotSettings = z.infer<typeof zotSettings>;

// zot names its types `zotregistry.<event>`; since 2.1.21 `extensions.events.typePrefix` may replace
// `zotregistry` (zotregistry.dev, "Event Support for zot"), so the push is known by its suffix.
const IMAGE_UPDATED_SUFFIX = ".image.updated";

const imageUpdated = z.object({
  name: repositoryName,
  reference: z.string().max(MAX_FIELD_LENGTH),
  digest: sha256Digest,
  mediaType: z.string().max(MAX_FIELD_LENGTH).optional(),
  request: z.object({ useragent: z.string().max(MAX_FIELD_LENGTH).optional() }).optional(),
});

function parseZot(delivery: WebhookDelivery, settings: ZotSettings): ParsedDelivery {
  const event = readCloudEvent(delivery, "zot");
  if (!event.type.endsWith(IMAGE_UPDATED_SUFFIX))
    return { events: [], ignored: [{ reason: `${event.type} event`, eventId: event.id }] };
  const data = validatePayload(imageUpdated, event.data, "zot", "data");
  const tag = isDigestLike(data.reference)
    ? undefined
    : validatePayload(tagName, data.reference, "zot", "data.reference");
  return {
    events: [
      {
        registry: settings.registry,
        repository: data.name,
        ...(tag !== undefined && { tag }),
        digest: data.digest,
        ...(data.mediaType !== undefined && { mediaType: data.mediaType }),
        ...(data.request?.useragent !== undefined && { userAgent: data.request.useragent }),
        deliveryId: event.id,
      },
    ],
    ignored: [],
  };
}

export const zotSource: WebhookSource<ZotSettings, typeof zotSettings> = {
  kind: "zot",
  settings: zotSettings,
  summary: "zot events (CloudEvents). settings: auth, registry.",
  authenticate: (delivery, settings) => verifyHeaderCredential(delivery, settings.auth),
  parse: parseZot,
};
