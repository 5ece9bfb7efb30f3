// Which pushes get signed. Runs before any outbound request: a host that is not a configured registry,
// or a repository outside its globs, costs nothing (DESIGN.md: "A host or repository outside the
// configuration gets no outbound request at all"). And signatures are never signed: ours would loop,
// anybody else's would be noise (cosign digest tags here, artifact manifests in
// lib/formats/signature-artifact.ts). Names were checked at the edge (lib/oci/grammar.ts): policy
// decides, it does not re-validate.

import { anyGlobMatches, compileGlob } from "../config/glob.ts";
import { configuredRegistry, normalizeRegistryHost } from "../config/registry-host.ts";
import type { Config, RegistryConfig } from "../config/schema.ts";
import type { WebhookConfig } from "../config/webhooks.ts";
import { isSigningUserAgent } from "../oci/user-agent.ts";

/** What policy looks at in a PushEvent (or an API request), its names already parsed at the edge. */
export interface PolicyEvent {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  readonly userAgent?: string;
}

export type DenyCode =
  | "invalid-event"
  | "signature-tag"
  | "own-push"
  | "registry-not-configured"
  | "registry-not-served-by-webhook"
  | "repository-not-allowed"
  | "repository-excluded"
  | "tag-not-allowed"
  | "tag-excluded"
  | "untagged-not-allowed";

export type PolicyDecision<Event extends PolicyEvent = PolicyEvent> =
  | {
      readonly allowed: true;
      /** The event with its registry host normalized: what the job should use. */
      readonly event: Event;
      /** The configured registry it matched. */
      readonly registry: RegistryConfig;
    }
  | { readonly allowed: false; readonly code: DenyCode; readonly reason: string };

export type DecisionConfig = Pick<Config, "registries" | "policy">;

// cosign's tags: `sha256-<hex>.sig|.att|.sbom`, and the distribution-spec referrers tag schema
// `<alg>-<ref>` (ref truncated to 64 characters) that holds the fallback index.
const COSIGN_DIGEST_TAG = /^(?:sha256|sha384|sha512)-[a-f0-9]{64,128}(?:\.(?:sig|att|sbom))?$/;

/** True for the tags cosign and the referrers fallback own; never signed. */
export function isCosignDigestTag(tag: string): boolean {
  return COSIGN_DIGEST_TAG.test(tag);
}

/** Decides one event. `webhook` (when the event came through one) may narrow the registries further. */
export function decide<Event extends PolicyEvent>(
  event: Event,
  config: DecisionConfig,
  webhook?: Pick<WebhookConfig, "registries">,
): PolicyDecision<Event> {
  const { tag } = event;
  if (tag === undefined && event.digest === undefined)
    return deny("invalid-event", "the event names neither a tag nor a digest");
  if (tag !== undefined && isCosignDigestTag(tag)) {
    return deny("signature-tag", `tag ${show(tag)} is a signature or referrers tag, never signed`);
  }
  // Our own signatures come back as pushes: known by the User-Agent the sender reports, they are
  // dropped here, before a job exists or a request is made.
  if (event.userAgent !== undefined && isSigningUserAgent(event.userAgent)) {
    return deny("own-push", "pushed by Countersign (a signature it attached), never signed");
  }
  const place = decideRepository(event, config, webhook);
  if (!place.allowed) return place;
  const { host, registry } = place;
  const { policy } = config;
  if (tag === undefined) {
    if (!policy.tags.untagged) return deny("untagged-not-allowed", "pushes without a tag are not signed");
  } else if (!anyGlobMatches(policy.tags.include.map(compileGlob), tag)) {
    return deny("tag-not-allowed", `tag ${show(tag)} is not in policy.tags.include`);
  } else if (anyGlobMatches(policy.tags.exclude.map(compileGlob), tag)) {
    return deny("tag-excluded", `tag ${show(tag)} is in policy.tags.exclude`);
  }
  return { allowed: true, event: { ...event, registry: host }, registry };
}

export type RepositoryDecision =
  | { readonly allowed: true; readonly host: string; readonly registry: RegistryConfig }
  | { readonly allowed: false; readonly code: DenyCode; readonly reason: string };

/**
 * Whether the repository may be touched at all: a configured registry (served by the webhook, when
 * there is one), a repository its globs and policy include and policy does not exclude. REST reads
 * (/v1/verify, /v1/attachments) are held to this before any registry request.
 */
export function decideRepository(
  event: Pick<PolicyEvent, "registry" | "repository">,
  config: DecisionConfig,
  webhook?: Pick<WebhookConfig, "registries">,
): RepositoryDecision {
  const { repository } = event;
  const host = normalizeRegistryHost(event.registry);
  const registry = host === undefined ? undefined : configuredRegistry(config.registries, host);
  if (host === undefined || registry === undefined)
    return deny("registry-not-configured", `registry ${show(host ?? event.registry)} is not configured`);
  const served = webhook?.registries?.map((pattern) => ({ host: pattern }));
  if (served !== undefined && configuredRegistry(served, host) === undefined) {
    return deny("registry-not-served-by-webhook", `this webhook does not serve registry ${show(host)}`);
  }
  if (!anyGlobMatches(registry.repositories.map(compileGlob), repository)) {
    return deny(
      "repository-not-allowed",
      `repository ${show(repository)} is not allowed on ${registry.host}`,
    );
  }
  const { policy } = config;
  if (!anyGlobMatches(policy.include.map(compileGlob), repository)) {
    return deny("repository-not-allowed", `repository ${show(repository)} is not in policy.include`);
  }
  if (anyGlobMatches(policy.exclude.map(compileGlob), repository)) {
    return deny("repository-excluded", `repository ${show(repository)} is in policy.exclude`);
  }
  return { allowed: true, host, registry };
}

function deny(code: DenyCode, reason: string): { allowed: false; code: DenyCode; reason: string } {
  return { allowed: false, code, reason };
}

/** Quoted and bounded: reasons end up in logs and problem bodies, hostile input must not flood them. */
function show(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
