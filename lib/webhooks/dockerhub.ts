// Docker Hub repository webhooks (docs.docker.com/docker-hub/repos/manage/webhooks). The payload names a
// tag and no digest: the job resolves the tag once and signs the digest. Docker Hub neither signs nor sets
// headers, so the webhook URL carries a token: `…/webhooks/<name>?token=<secret>`.
import { z } from "zod";
import { repositoryName, tagName } from "../oci/grammar.ts";
import { DOCKER_HUB } from "../oci/reference.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, validatePayload } from "./payload.ts";
import type { ParsedDelivery, WebhookSource } from "./source.ts";
import { urlToken, urlTokenParameter, verifyUrlToken } from "./url-token.ts";

export const dockerhubSettings = z.strictObject({
  kind: z.literal("dockerhub"),
  token: urlToken,
  tokenParameter: urlTokenParameter,
});
export type DockerhubSettings = z.infer<typeof dockerhubSettings>;

const payload = z.object({
  push_data: z.object({ tag: tagName }),
  repository: z.object({ repo_name: z.string().max(MAX_FIELD_LENGTH) }),
});

function parseDockerhub(body: unknown): ParsedDelivery {
  const event = validatePayload(payload, body, "dockerhub");
  // A one-component name is an official image, which lives under `library/` (distribution/reference).
  const name = event.repository.repo_name.includes("/")
    ? event.repository.repo_name
    : `library/${event.repository.repo_name}`;
  const repository = validatePayload(repositoryName, name, "dockerhub", "repository.repo_name");
  return {
    // Clients address Docker Hub as `docker.io`; lib/oci maps it to its API host.
    events: [{ registry: DOCKER_HUB, repository, tag: event.push_data.tag }],
    ignored: [],
  };
}

export const dockerhubSource: WebhookSource<DockerhubSettings, typeof dockerhubSettings> = {
  kind: "dockerhub",
  settings: dockerhubSettings,
  summary:
    "Docker Hub webhook. settings.token: secret expected in the ?token= query parameter (16+ characters).",
  authenticate: (delivery, settings) => verifyUrlToken(delivery, settings.tokenParameter, settings.token),
  parse: (delivery) => parseDockerhub(readJsonBody(delivery)),
};
