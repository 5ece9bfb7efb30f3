// Webhook sources by kind, the configuration schema for all of them, and the one entry point the app
// calls for `POST /webhooks/:name`: authenticate, then parse.
import { z } from "zod";
import { acrSettings, acrSource } from "./acr.ts";
import { artifactorySettings, artifactorySource } from "./artifactory.ts";
import { distributionSettings, distributionSource } from "./distribution.ts";
import { dockerhubSettings, dockerhubSource } from "./dockerhub.ts";
import { ecrSettings, ecrSource } from "./ecr.ts";
import { garSettings, garSource } from "./gar.ts";
import { githubSettings, githubSource } from "./github.ts";
import { harborSettings, harborSource } from "./harbor.ts";
import { quaySettings, quaySource } from "./quay.ts";
import type { ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";
import { zotSettings, zotSource } from "./zot.ts";

export type { PayloadIssue } from "./errors.ts";
export { WebhookAuthError, WebhookAuthUnavailableError, WebhookPayloadError } from "./errors.ts";
export { MAX_EVENTS_PER_DELIVERY, MAX_WEBHOOK_BODY_BYTES } from "./limits.ts";
export type { PushEvent } from "./push-event.ts";
export type { IgnoredEvent, ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";

/** Settings of one configured webhook, discriminated by `kind`. */
export const webhookSourceSettings = z.discriminatedUnion("kind", [
  distributionSettings,
  harborSettings,
  dockerhubSettings,
  githubSettings,
  ecrSettings,
  acrSettings,
  quaySettings,
  garSettings,
  artifactorySettings,
  zotSettings,
]);
export type WebhookSourceSettings = z.infer<typeof webhookSourceSettings>;
export type WebhookSourceKind = WebhookSourceSettings["kind"];

type SourceOf<Kind extends WebhookSourceKind> = WebhookSource<Extract<WebhookSourceSettings, { kind: Kind }>>;

export const webhookSources: { readonly [Kind in WebhookSourceKind]: SourceOf<Kind> } = {
  distribution: distributionSource,
  harbor: harborSource,
  dockerhub: dockerhubSource,
  github: githubSource,
  ecr: ecrSource,
  acr: acrSource,
  quay: quaySource,
  gar: garSource,
  artifactory: artifactorySource,
  zot: zotSource,
};

export const webhookSourceKinds = Object.keys(webhookSources) as readonly WebhookSourceKind[];

/**
 * Authenticates `delivery` with the configured source, then parses it. Throws WebhookAuthError (401),
 * WebhookAuthUnavailableError (503) or WebhookPayloadError (400); nothing is parsed before authentication.
 */
export async function receiveWebhook(
  delivery: WebhookDelivery,
  settings: WebhookSourceSettings,
): Promise<ParsedDelivery> {
  // The mapped type pairs each kind with its settings; TypeScript cannot follow that through the index.
  const source = webhookSources[settings.kind] as WebhookSource<WebhookSourceSettings>;
  await source.authenticate(delivery, settings);
  return source.parse(delivery, settings);
}
