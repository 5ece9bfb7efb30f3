// Quay `repo_push` notifications (docs.projectquay.io, "Repository events"): no digest, the pushed tags in
// `updated_tags`, the image location in `docker_url`. Quay sends no credential, so the URL carries a token.
import { z } from "zod";
import { repositoryName, tagName } from "../oci/grammar.ts";
import { imageReference } from "./image-reference.ts";
import { MAX_EVENTS_PER_DELIVERY } from "./limits.ts";
import { readJsonBody, rejectPayload, validatePayload } from "./payload.ts";
import type { ParsedDelivery, WebhookSource } from "./source.ts";
import { urlToken, urlTokenParameter, verifyUrlToken } from "./url-token.ts";

export const quaySettings = z.strictObject({
  kind: z.literal("quay"),
  token: urlToken,
  tokenParameter: urlTokenParameter,
});
export type QuaySettings = z.infer<typeof quaySettings>;

const payload = z.object({
  repository: repositoryName,
  docker_url: imageReference,
  updated_tags: z.array(tagName).max(MAX_EVENTS_PER_DELIVERY),
});

function parseQuay(body: unknown): ParsedDelivery {
  const push = validatePayload(payload, body, "quay");
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
  if (push.updated_tags.length === 0)
    return { events: [], ignored: [{ reason: "push without updated tags" }] };
  return {
    events: [...new Set(push.updated_tags)].map((tag) => ({
      registry: location.registry,
      repository: location.repository,
      tag,
    })),
    ignored: [],
  };
}

export const quaySource: WebhookSource<QuaySettings, typeof quaySettings> = {
  kind: "quay",
  settings: quaySettings,
  summary: "Quay repo_push. settings.token: secret expected in the ?token= query parameter (16+ characters).",
  authenticate: (delivery, settings) => verifyUrlToken(delivery, settings.tokenParameter, settings.token),
  parse: (delivery) => parseQuay(readJsonBody(delivery)),
};
