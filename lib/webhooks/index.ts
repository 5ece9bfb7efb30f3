// Webhook sources by kind, the configuration schema for all of them, and the one entry point the app
// calls for `POST /webhooks/:name`: authenticate, then parse. `sources` is the one list of kinds:
// every other list (settings, configuration schema, kinds) is built from it.
import { z } from "zod";
import { acrSource } from "./acr.ts";
import { artifactorySource } from "./artifactory.ts";
import { distributionSource } from "./distribution.ts";
import { dockerhubSource } from "./dockerhub.ts";
import { ecrSource } from "./ecr.ts";
import { garSource } from "./gar.ts";
import { githubSource } from "./github.ts";
import { harborSource } from "./harbor.ts";
import { quaySource } from "./quay.ts";
import type { ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";
import { zotSource } from "./zot.ts";

export type { PayloadIssue } from "./errors.ts";
export { WebhookAuthError, WebhookAuthUnavailableError, WebhookPayloadError } from "./errors.ts";
export { MAX_EVENTS_PER_DELIVERY, MAX_WEBHOOK_BODY_BYTES } from "./limits.ts";
export type { PushEvent } from "./push-event.ts";
export type { IgnoredEvent, ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";

const sources = [
  distributionSource,
  harborSource,
  dockerhubSource,
  githubSource,
  ecrSource,
  acrSource,
  quaySource,
  garSource,
  artifactorySource,
  zotSource,
] as const;

type Source = (typeof sources)[number];
type SettingsOf<T extends readonly { readonly settings: unknown }[]> = {
  readonly [I in keyof T]: T[I]["settings"];
};

/** Settings of one configured webhook, discriminated by `kind`. */
export const webhookSourceSettings = z.discriminatedUnion(
  "kind",
  sources.map((source) => source.settings) as unknown as SettingsOf<typeof sources>,
);
export type WebhookSourceSettings = z.infer<typeof webhookSourceSettings>;
export type WebhookSourceKind = Source["kind"];

export const webhookSources = Object.fromEntries(sources.map((source) => [source.kind, source])) as {
  readonly [S in Source as S["kind"]]: S;
};

export const webhookSourceKinds: readonly WebhookSourceKind[] = sources.map((source) => source.kind);

/**
 * Authenticates `delivery` with the configured source, then parses it. Throws WebhookAuthError (401),
 * WebhookAuthUnavailableError (503) or WebhookPayloadError (400); nothing is parsed before authentication.
 */
export async function receiveWebhook(
  delivery: WebhookDelivery,
  settings: WebhookSourceSettings,
): Promise<ParsedDelivery> {
  // The mapped type pairs each kind with its settings; TypeScript cannot follow that through the index.
  const source = webhookSources[settings.kind] as unknown as WebhookSource<WebhookSourceSettings>;
  await source.authenticate(delivery, settings);
  return source.parse(delivery, settings);
}
