// JFrog Artifactory webhooks, domain `docker`, event `pushed` (jfrog.com/help, "Webhook event types").
// `X-JFrog-Event-Auth` carries the secret, or with "use secret for payload signing" the hex HMAC-SHA256
// of the body. The payload names no host: the registry is configured. `data.sha256` is the checksum of
// the stored manifest.json, which is the manifest digest.
import { z } from "zod";
import { registryHost, repositoryName, tagName } from "../oci/grammar.ts";
import { constantTimeEqual } from "./constant-time.ts";
import { WebhookAuthError } from "./errors.ts";
import { secret } from "./header-credential.ts";
import { hmacSha256Hex } from "./hmac.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, validatePayload } from "./payload.ts";
import type { ParsedDelivery, WebhookDelivery, WebhookSource } from "./source.ts";

export const artifactorySettings = z.strictObject({
  kind: z.literal("artifactory"),
  secret,
  /** `plain`: the header is the secret; `hmac-sha256`: the header is the hex HMAC of the body under it. */
  secretMode: z.enum(["plain", "hmac-sha256"]).default("plain"),
  /** The Docker registry host of the Artifactory instance, e.g. `example.jfrog.io`. */
  registry: registryHost,
  /**
   * How clients address images: `repository-key` (Artifactory's "repository path" method,
   * `<host>/<repo_key>/<image>`) or `image-name` (subdomain or port methods: `<host>/<image>`).
   */
  repositoryPath: z.enum(["repository-key", "image-name"]).default("repository-key"),
});
export type ArtifactorySettings = z.infer<typeof artifactorySettings>;

const AUTH_HEADER = "X-JFrog-Event-Auth";
const text = z.string().max(MAX_FIELD_LENGTH);

const envelope = z.object({ domain: text, event_type: text });

const pushed = z.object({
  data: z.object({
    repo_key: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "not a repository key" }),
    image_name: repositoryName,
    tag: tagName,
    sha256: z.string().regex(/^[a-f0-9]{64}$/, { error: "not a lowercase hex SHA-256" }),
  }),
});

async function authenticateArtifactory(
  delivery: WebhookDelivery,
  settings: ArtifactorySettings,
): Promise<void> {
  const received = delivery.headers.get(AUTH_HEADER);
  if (received === null) throw new WebhookAuthError(`missing ${AUTH_HEADER} header`);
  const expected =
    settings.secretMode === "plain" ? settings.secret : await hmacSha256Hex(settings.secret, delivery.body);
  const candidate = settings.secretMode === "plain" ? received : received.toLowerCase();
  if (!(await constantTimeEqual(candidate, expected))) {
    throw new WebhookAuthError(`${AUTH_HEADER} does not match the configured secret`);
  }
}

/** Artifactory files a manifest pushed by digest under a `sha256__<hex>` "tag" folder: that is no tag. */
const DIGEST_FOLDER = /^sha256__[a-f0-9]{64}$/;

function parseArtifactory(body: unknown, settings: ArtifactorySettings): ParsedDelivery {
  const head = validatePayload(envelope, body, "artifactory");
  if (head.domain !== "docker" || head.event_type !== "pushed") {
    return { events: [], ignored: [{ reason: `${head.domain} ${head.event_type} event` }] };
  }
  const { data } = validatePayload(pushed, body, "artifactory");
  const path =
    settings.repositoryPath === "repository-key" ? `${data.repo_key}/${data.image_name}` : data.image_name;
  const repository = validatePayload(repositoryName, path, "artifactory", "data.repo_key");
  return {
    events: [
      {
        registry: settings.registry,
        repository,
        ...(!DIGEST_FOLDER.test(data.tag) && { tag: data.tag }),
        digest: `sha256:${data.sha256}`,
      },
    ],
    ignored: [],
  };
}

export const artifactorySource: WebhookSource<ArtifactorySettings, typeof artifactorySettings> = {
  kind: "artifactory",
  settings: artifactorySettings,
  summary:
    "JFrog Artifactory docker 'pushed' events. settings: secret, secretMode (plain | hmac-sha256), registry.",
  authenticate: authenticateArtifactory,
  parse: (delivery, settings) => parseArtifactory(readJsonBody(delivery), settings),
};
