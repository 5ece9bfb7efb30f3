// GitHub `package` and `registry_package` webhooks for GHCR (docs.github.com, "Webhook events and payloads").
// Authenticated by `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`; deduplicated on
// `X-GitHub-Delivery`. Container versions that were `published` (or `create`d) become events; `updated`
// ("a previously published package was updated") is ignored: its digest was signed when published.
// The digest is `package_version.version` (or `.name`, where the version is a tag); `container_metadata`
// only repeats it, and real deliveries carry empty or malformed digests there, so it is read leniently.
import { z } from "zod";
import { digestProblem, isDigestLike, repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
import { constantTimeEqual } from "./constant-time.ts";
import { WebhookAuthError } from "./errors.ts";
import { secret } from "./header-credential.ts";
import { hmacSha256Hex } from "./hmac.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, rejectPayload, validatePayload } from "./payload.ts";
import type { PushEvent } from "./push-event.ts";
import type { ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";

export const githubSettings = z.strictObject({
  kind: z.literal("github"),
  /** The webhook's secret. */
  secret,
});
export type GithubSettings = z.infer<typeof githubSettings>;

export const GHCR_REGISTRY = "ghcr.io";
const SIGNATURE_HEADER = "X-Hub-Signature-256";
const PACKAGE_EVENTS = ["package", "registry_package"] as const;
const PUSH_ACTIONS: ReadonlySet<string> = new Set(["published", "create"]);

const text = z.string().max(MAX_FIELD_LENGTH);
const envelope = z.object({ action: text });
// First pass: only the type, so that another ecosystem's package is ignored whatever its shape.
const packageHead = z.object({ package_type: text });

const containerPackage = z.object({
  name: text,
  namespace: text.optional(),
  owner: z.object({ login: text }).optional(),
  package_version: z.object({
    version: text.optional(),
    name: z.unknown().optional(),
    container_metadata: z.unknown().optional(),
  }),
});

async function authenticateGithub(delivery: WebhookDelivery, settings: GithubSettings): Promise<void> {
  const received = delivery.headers.get(SIGNATURE_HEADER);
  if (received === null) throw new WebhookAuthError(`missing ${SIGNATURE_HEADER} header`);
  const expected = `sha256=${await hmacSha256Hex(settings.secret, delivery.body)}`;
  if (!(await constantTimeEqual(received.toLowerCase(), expected))) {
    throw new WebhookAuthError(`${SIGNATURE_HEADER} does not match the body`);
  }
}

/** The value at `path` inside `value`, or undefined where the path does not lead through objects. */
function at(value: unknown, ...path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A redundant field's digest, when it is one; anything else there is ignored, not refused. */
function optionalDigest(value: unknown): string | undefined {
  return typeof value === "string" && digestProblem(value) === undefined ? value : undefined;
}

function containerPush(
  pkg: z.infer<typeof containerPackage>,
  field: string,
  deliveryId: string | undefined,
): PushEvent {
  // GHCR names are lowercase `<owner>/<package>`, though GitHub logins keep their case.
  const owner = pkg.namespace ?? pkg.owner?.login;
  if (owner === undefined) rejectPayload("github", `${field}.namespace`, "no namespace nor owner.login");
  const repository = validatePayload(
    repositoryName,
    `${owner}/${pkg.name}`.toLowerCase(),
    "github",
    `${field}.name`,
  );
  const version = pkg.package_version;
  const metadata = version.container_metadata;
  const digest =
    version.version !== undefined && isDigestLike(version.version)
      ? validatePayload(sha256Digest, version.version, "github", `${field}.package_version.version`)
      : (optionalDigest(version.name) ??
        optionalDigest(at(metadata, "manifest", "digest")) ??
        optionalDigest(at(metadata, "tag", "digest")));
  if (digest === undefined) rejectPayload("github", `${field}.package_version`, "names no digest");
  // `container_metadata.tag.name` is "" for an untagged push; a tag that is named must be a tag.
  const tagText = at(metadata, "tag", "name");
  const tag =
    typeof tagText === "string" && tagText !== ""
      ? validatePayload(tagName, tagText, "github", `${field}.package_version.container_metadata.tag.name`)
      : undefined;
  const mediaType = at(metadata, "manifest", "media_type");
  const hint =
    typeof mediaType === "string" && mediaType !== "" && mediaType.length <= MAX_FIELD_LENGTH
      ? mediaType
      : undefined;
  return {
    registry: GHCR_REGISTRY,
    repository,
    ...(tag !== undefined && { tag }),
    digest,
    ...(hint !== undefined && { mediaType: hint }),
    ...(deliveryId !== undefined && { deliveryId }),
  };
}

function parseGithub(delivery: WebhookDelivery): ParsedDelivery {
  const eventName = delivery.headers.get("X-GitHub-Event") ?? "";
  const deliveryId = delivery.headers.get("X-GitHub-Delivery")?.slice(0, MAX_FIELD_LENGTH) || undefined;
  const idField = deliveryId !== undefined ? { eventId: deliveryId } : {};
  const ignored = (reason: string): ParsedDelivery => ({ events: [], ignored: [{ reason, ...idField }] });
  const field = PACKAGE_EVENTS.find((name) => name === eventName);
  // `ping` on creation, or an event the hook was subscribed to by mistake.
  if (field === undefined) return ignored(`${eventName.slice(0, 64) || "unnamed"} event`);
  const body = readJsonBody(delivery);
  const { action } = validatePayload(envelope, body, "github");
  if (!PUSH_ACTIONS.has(action)) return ignored(`${field} ${action}`);
  // The envelope check above proved `body` is an object.
  const raw = (body as Record<string, unknown>)[field];
  const { package_type: type } = validatePayload(packageHead, raw, "github", field);
  if (type.toLowerCase() !== "container") return ignored(`${type} package`);
  const pkg = validatePayload(containerPackage, raw, "github", field);
  return { events: [containerPush(pkg, field, deliveryId)], ignored: [] };
}

export const githubSource: WebhookSource<GithubSettings, typeof githubSettings> = {
  kind: "github",
  settings: githubSettings,
  summary: "GitHub package events. settings.secret: the webhook secret (X-Hub-Signature-256).",
  authenticate: authenticateGithub,
  parse: parseGithub,
};
