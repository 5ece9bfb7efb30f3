// GitHub `package` and `registry_package` webhooks for GHCR (docs.github.com, "Webhook events and payloads").
// Authenticated by `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`; deduplicated on
// `X-GitHub-Delivery`. Only `published` container versions become events.
import { z } from "zod";
import { isDigestLike, repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
import { constantTimeEqual } from "./constant-time.ts";
import { WebhookAuthError } from "./errors.ts";
import { secret } from "./header-credential.ts";
import { hmacSha256Hex } from "./hmac.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, rejectPayload, validatePayload } from "./payload.ts";
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

const text = z.string().max(MAX_FIELD_LENGTH);
const envelope = z.object({ action: text });

const containerPackage = z.object({
  name: text,
  namespace: text.optional(),
  owner: z.object({ login: text }).optional(),
  package_type: text,
  package_version: z.object({
    version: text.optional(),
    container_metadata: z
      .object({
        tag: z.object({ name: text.optional(), digest: sha256Digest.optional() }).optional(),
        manifest: z.object({ digest: sha256Digest.optional(), media_type: text.optional() }).optional(),
      })
      .optional(),
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

function parseGithub(delivery: WebhookDelivery): ParsedDelivery {
  const eventName = delivery.headers.get("X-GitHub-Event") ?? "";
  const deliveryId = delivery.headers.get("X-GitHub-Delivery")?.slice(0, MAX_FIELD_LENGTH) || undefined;
  const idField = deliveryId !== undefined ? { eventId: deliveryId } : {};
  const field = PACKAGE_EVENTS.find((name) => name === eventName);
  if (field === undefined) {
    // `ping` on creation, or an event the hook was subscribed to by mistake.
    return { events: [], ignored: [{ reason: `${eventName.slice(0, 64) || "unnamed"} event`, ...idField }] };
  }
  const body = readJsonBody(delivery);
  const { action } = validatePayload(envelope, body, "github");
  if (action !== "published") return { events: [], ignored: [{ reason: `${field} ${action}`, ...idField }] };
  // The envelope check above proved `body` is an object.
  const pkg = validatePayload(containerPackage, (body as Record<string, unknown>)[field], "github", field);
  if (pkg.package_type.toLowerCase() !== "container") {
    return { events: [], ignored: [{ reason: `${pkg.package_type} package`, ...idField }] };
  }
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
      : (metadata?.manifest?.digest ?? metadata?.tag?.digest);
  if (digest === undefined) rejectPayload("github", `${field}.package_version`, "names no digest");
  // `container_metadata.tag.name` is "" for an untagged push.
  const tagText = metadata?.tag?.name;
  const tag = tagText
    ? validatePayload(tagName, tagText, "github", `${field}.package_version.container_metadata.tag.name`)
    : undefined;
  const mediaType = metadata?.manifest?.media_type;
  return {
    events: [
      {
        registry: GHCR_REGISTRY,
        repository,
        ...(tag !== undefined && { tag }),
        digest,
        ...(mediaType !== undefined && { mediaType }),
        ...(deliveryId !== undefined && { deliveryId }),
      },
    ],
    ignored: [],
  };
}

export const githubSource: WebhookSource<GithubSettings, typeof githubSettings> = {
  kind: "github",
  settings: githubSettings,
  summary: "GitHub package events. settings.secret: the webhook secret (X-Hub-Signature-256).",
  authenticate: authenticateGithub,
  parse: parseGithub,
};
