// Quay repository notifications (docs.projectquay.io, "Repository events"). The body is the event's data
// alone, with no event name: a push (`repo_push`) is the one that lists `updated_tags` (an array; before
// Quay 3 an object of tag to image id), and names no digest, so each tag is resolved once. Builds,
// vulnerabilities, image expiry and mirror syncs share the envelope without `updated_tags` and are
// ignored. Quay sends no credential, so the URL carries a token.
import { z } from "zod";
import { repositoryName, tagName } from "../oci/grammar.ts";
import { imageReference } from "./image-reference.ts";
import { MAX_EVENTS_PER_DELIVERY } from "./limits.ts";
import { readJsonBody, rejectPayload, validatePayload } from "./payload.ts";
import type { IgnoredEvent, ParsedDelivery, WebhookSource } from "./source.ts";
import { urlToken, urlTokenParameter, verifyUrlToken } from "./url-token.ts";

export const quaySettings = z.strictObject({
  kind: z.literal("quay"),
  token: urlToken,
  tokenParameter: urlTokenParameter,
});
export type QuaySettings = z.infer<typeof quaySettings>;

const tagList = z.array(tagName).max(MAX_EVENTS_PER_DELIVERY);
const tagMap = z
  .record(z.string(), z.unknown())
  .refine((tags) => Object.keys(tags).length <= MAX_EVENTS_PER_DELIVERY, {
    error: `more than ${MAX_EVENTS_PER_DELIVERY} tags`,
  })
  // The values are v1 image ids, not manifest digests: only the tag names are used.
  .transform((tags) => Object.keys(tags))
  .pipe(tagList);

const payload = z.object({
  repository: repositoryName,
  docker_url: imageReference,
  updated_tags: z.unknown(),
});

const head = z.looseObject({ updated_tags: z.unknown().optional() });

/** What a notification without `updated_tags` is, by the fields its event adds (notificationevent.py). */
function otherEvent(body: Readonly<Record<string, unknown>>): string {
  if ("build_id" in body) return "build notification";
  if ("vulnerability" in body || "vulnerabilities" in body) return "vulnerability_found notification";
  return "notification without updated_tags";
}

/**
 * The "Test Notification" button of a Repository Push notification sends RepoPushEvent.get_sample_data
 * (quay notifications/notificationevent.py): tags `latest` and `foo`, `pruned_image_count: 3`. A real
 * push names the one tag pushed, so this exact sample is never a push.
 */
function isTestNotification(body: Readonly<Record<string, unknown>>): boolean {
  const tags = body.updated_tags;
  return (
    Array.isArray(tags) &&
    tags.length === 2 &&
    tags[0] === "latest" &&
    tags[1] === "foo" &&
    body.pruned_image_count === 3
  );
}

function parseQuay(body: unknown): ParsedDelivery {
  const envelope = validatePayload(head, body, "quay");
  const ignored = (reason: string): ParsedDelivery => ({ events: [], ignored: [{ reason }] });
  if (envelope.updated_tags === undefined) return ignored(`${otherEvent(envelope)} (not a push)`);
  if (isTestNotification(envelope)) return ignored("test notification");
  const push = validatePayload(payload, body, "quay");
  const tags = validatePayload(
    Array.isArray(push.updated_tags) ? tagList : tagMap,
    push.updated_tags,
    "quay",
    "updated_tags",
  );
  const location = push.docker_url;
  if (location.tag !== undefined || location.digest !== undefined) {
    rejectPayload("quay", "docker_url", "must name a repository, not a tag or digest");
  }
  if (location.repository !== push.repository) {
    rejectPayload(
      "quay",
      "docker_url",
      `names repository '${location.repository}', not '${push.repository}'`,
    );
  }
  const none: IgnoredEvent[] = [{ reason: "push without updated tags" }];
  return {
    events: [...new Set(tags)].map((tag) => ({
      registry: location.registry,
      repository: location.repository,
      tag,
    })),
    ignored: tags.length === 0 ? none : [],
  };
}

export const quaySource: WebhookSource<QuaySettings, typeof quaySettings> = {
  kind: "quay",
  settings: quaySettings,
  summary:
    "Quay repository notifications (repo_push signed, other events ignored). settings.token: secret expected in the ?token= query parameter (16+ characters).",
  authenticate: (delivery, settings) => verifyUrlToken(delivery, settings.tokenParameter, settings.token),
  parse: (delivery) => parseQuay(readJsonBody(delivery)),
};
