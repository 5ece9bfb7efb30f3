// Harbor webhooks: the default JSON format (`type: PUSH_ARTIFACT` since 2.0, `pushImage` in 1.9 and
// 1.10; `event_data`) and, since 2.10, the CloudEvents format (`type: harbor.artifact.pushed`, `data`).
// All carry the same resources list. The policy's "Auth Header" is sent verbatim as `Authorization`.
import { z } from "zod";
import { isDigestLike, repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
import { isCloudEvent, readCloudEvent } from "./cloud-event.ts";
import { headerCredential, verifyHeaderCredential } from "./header-credential.ts";
import { imageReference } from "./image-reference.ts";
import { MAX_EVENTS_PER_DELIVERY, MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, rejectPayload, validatePayload } from "./payload.ts";
import type { PushEvent } from "./push-event.ts";
import type { ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";

export const harborSettings = z.strictObject({
  kind: z.literal("harbor"),
  /** The webhook policy's "Auth Header" value; Harbor sends it as `Authorization`. */
  auth: headerCredential,
});
export type HarborSettings = z.infer<typeof harborSettings>;

// goharbor/harbor src/pkg/notifier/model: 1.x named event types in camelCase, 2.x renamed them.
const PUSH_TYPES: ReadonlySet<string> = new Set(["PUSH_ARTIFACT", "pushImage"]);
const PUSH_CLOUD_EVENT_TYPE = "harbor.artifact.pushed";

const eventData = z.object({
  resources: z
    .array(
      z.object({
        digest: sha256Digest.optional(),
        tag: z.string().max(MAX_FIELD_LENGTH).optional(),
        resource_url: imageReference,
      }),
    )
    .max(MAX_EVENTS_PER_DELIVERY),
  repository: z.object({ repo_full_name: repositoryName.optional() }),
});

const defaultEnvelope = z.object({
  type: z.string().max(MAX_FIELD_LENGTH),
  event_data: z.unknown().optional(),
});

function toPushEvents(
  data: z.infer<typeof eventData>,
  at: string,
  deliveryId: string | undefined,
): PushEvent[] {
  return data.resources.map((resource, index) => {
    const path = `${at}.resources.${index}`;
    const reference = resource.resource_url;
    const fullName = data.repository.repo_full_name;
    if (fullName !== undefined && fullName !== reference.repository) {
      rejectPayload(
        "harbor",
        `${path}.resource_url`,
        `names repository '${reference.repository}', not '${fullName}'`,
      );
    }
    if (resource.digest && reference.digest && resource.digest !== reference.digest) {
      rejectPayload("harbor", `${path}.digest`, "differs from the digest in resource_url");
    }
    // On a push by digest Harbor fills `tag` with the digest: that is no tag.
    const tag =
      resource.tag && !isDigestLike(resource.tag)
        ? validatePayload(tagName, resource.tag, "harbor", `${path}.tag`)
        : undefined;
    const digest = resource.digest ?? reference.digest;
    if (tag === undefined && digest === undefined)
      rejectPayload("harbor", path, "names neither a tag nor a digest");
    return {
      registry: reference.registry,
      repository: reference.repository,
      ...(tag !== undefined && { tag }),
      ...(digest !== undefined && { digest }),
      ...(deliveryId !== undefined && { deliveryId }),
    };
  });
}

function parseHarbor(delivery: WebhookDelivery): ParsedDelivery {
  if (isCloudEvent(delivery)) {
    const event = readCloudEvent(delivery, "harbor");
    if (event.type !== PUSH_CLOUD_EVENT_TYPE) {
      return { events: [], ignored: [{ reason: `${event.type} event`, eventId: event.id }] };
    }
    const data = validatePayload(eventData, event.data, "harbor", "data");
    return { events: toPushEvents(data, "data", event.id), ignored: [] };
  }
  const envelope = validatePayload(defaultEnvelope, readJsonBody(delivery), "harbor");
  if (!PUSH_TYPES.has(envelope.type)) return { events: [], ignored: [{ reason: `${envelope.type} event` }] };
  const data = validatePayload(eventData, envelope.event_data, "harbor", "event_data");
  return { events: toPushEvents(data, "event_data", undefined), ignored: [] };
}

export const harborSource: WebhookSource<HarborSettings, typeof harborSettings> = {
  kind: "harbor",
  settings: harborSettings,
  summary: "Harbor webhook (default or CloudEvents). settings.auth: the policy's Auth Header.",
  authenticate: (delivery, settings) => verifyHeaderCredential(delivery, settings.auth),
  parse: parseHarbor,
};
