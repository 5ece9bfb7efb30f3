// Which pushes get signed. Runs before any outbound request: a host that is not a configured registry,
// or a repository outside its globs, costs nothing (DESIGN.md: "A host or repository outside the
// configuration gets no outbound request at all"). And signatures are never signed: ours would loop,
// anybody else's would be noise (cosign digest tags here, artifact manifests in isSignatureArtifact).
import { anyGlobMatches, compileGlob } from "../config/glob.ts";
import {
  normalizeRegistryHost,
  parseRegistryHostPattern,
  registryHostMatches,
} from "../config/registry-host.ts";
import type { Config, RegistryConfig } from "../config/schema.ts";
import type { WebhookConfig } from "../config/webhooks.ts";

/** What policy looks at in a PushEvent (or an API request). */
export interface PolicyEvent {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export type DenyCode =
  | "invalid-event"
  | "signature-tag"
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

// distribution-spec: `<name>` path components, a tag, a digest (sha256 or sha512).
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const MAX_REPOSITORY = 255;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
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
  const invalid = invalidEvent(event);
  if (invalid !== undefined) return deny("invalid-event", invalid);
  const { repository, tag } = event;
  if (tag !== undefined && isCosignDigestTag(tag)) {
    return deny("signature-tag", `tag ${show(tag)} is a signature or referrers tag, never signed`);
  }
  const host = normalizeRegistryHost(event.registry)!;
  const registry = config.registries.find((candidate) => hostPatternMatches(candidate.host, host));
  if (registry === undefined)
    return deny("registry-not-configured", `registry ${show(host)} is not configured`);
  if (
    webhook?.registries !== undefined &&
    !webhook.registries.some((pattern) => hostPatternMatches(pattern, host))
  ) {
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
  if (tag === undefined) {
    if (!policy.tags.untagged) return deny("untagged-not-allowed", "pushes without a tag are not signed");
  } else if (!anyGlobMatches(policy.tags.include.map(compileGlob), tag)) {
    return deny("tag-not-allowed", `tag ${show(tag)} is not in policy.tags.include`);
  } else if (anyGlobMatches(policy.tags.exclude.map(compileGlob), tag)) {
    return deny("tag-excluded", `tag ${show(tag)} is in policy.tags.exclude`);
  }
  return { allowed: true, event: { ...event, registry: host }, registry };
}

function invalidEvent(event: PolicyEvent): string | undefined {
  if (typeof event.registry !== "string" || normalizeRegistryHost(event.registry) === undefined) {
    return `registry ${show(event.registry)} is not a host[:port]`;
  }
  const { repository, tag, digest } = event;
  if (typeof repository !== "string" || repository.length > MAX_REPOSITORY || !REPOSITORY.test(repository)) {
    return `repository ${show(repository)} is not a repository name`;
  }
  if (tag !== undefined && (typeof tag !== "string" || !TAG.test(tag)))
    return `tag ${show(tag)} is not a tag`;
  if (digest !== undefined && (typeof digest !== "string" || !DIGEST.test(digest))) {
    return `digest ${show(digest)} is not a digest`;
  }
  if (tag === undefined && digest === undefined) return "the event names neither a tag nor a digest";
  return undefined;
}

function hostPatternMatches(pattern: string, host: string): boolean {
  const parsed = parseRegistryHostPattern(pattern);
  return "pattern" in parsed && registryHostMatches(parsed.pattern, host);
}

function deny(code: DenyCode, reason: string): { allowed: false; code: DenyCode; reason: string } {
  return { allowed: false, code, reason };
}

/** Quoted and bounded: reasons end up in logs and problem bodies, hostile input must not flood them. */
function show(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}

// Media types that mark a manifest as a signature or attestation: Notary Project, cosign (simple
// signing, attestations, OCI 1.1 artifacts), sigstore bundles (every version), in-toto and DSSE.
const SIGNATURE_MEDIA_TYPE_PREFIXES: readonly string[] = [
  "application/vnd.cncf.notary.",
  "application/vnd.dev.cosign.",
  "application/vnd.dev.sigstore.",
  "application/vnd.in-toto",
  "application/vnd.dsse.",
];

/** The manifest fields isSignatureArtifact looks at; an ImageManifest or ImageIndex fits. */
export interface ArtifactProbe {
  readonly subject?: unknown;
  readonly artifactType?: unknown;
  readonly config?: { readonly mediaType?: unknown };
  readonly layers?: readonly { readonly mediaType?: unknown }[];
}

/** A signature/attestation media type (RFC 6838: media types compare case-insensitively). */
export function isSignatureMediaType(mediaType: unknown): boolean {
  if (typeof mediaType !== "string") return false;
  const lower = mediaType.toLowerCase();
  return SIGNATURE_MEDIA_TYPE_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * True for a manifest that refers to another (`subject`: every referrer is about some other image)
 * or that carries a signature or attestation media type as artifactType, config or any layer.
 */
export function isSignatureArtifact(manifest: ArtifactProbe): boolean {
  if (manifest.subject !== undefined && manifest.subject !== null) return true;
  if (isSignatureMediaType(manifest.artifactType) || isSignatureMediaType(manifest.config?.mediaType))
    return true;
  return (
    Array.isArray(manifest.layers) && manifest.layers.some((layer) => isSignatureMediaType(layer?.mediaType))
  );
}
