// Amazon ECR push events through EventBridge (`detail-type: ECR Image Action`, AWS ECR user guide,
// "Amazon ECR events and EventBridge"), delivered by an API destination whose connection adds an API-key
// header or Basic credentials. `image-tag` is "" on a push by digest.
import { z } from "zod";
import { repositoryName, sha256Digest, tagName } from "../oci/grammar.ts";
import { headerCredential, verifyHeaderCredential } from "./header-credential.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { readJsonBody, validatePayload } from "./payload.ts";
import type { ParsedDelivery, WebhookSource } from "./source.ts";

export const ecrSettings = z.strictObject({
  kind: z.literal("ecr"),
  /** The API destination connection's API-key header (name and value), or its Basic credentials. */
  auth: headerCredential,
});
export type EcrSettings = z.infer<typeof ecrSettings>;

const text = z.string().max(MAX_FIELD_LENGTH);

const envelope = z.object({
  id: text.optional(),
  source: text,
  "detail-type": text,
  detail: z.looseObject({ "action-type": text.optional(), result: text.optional() }),
});

const pushEvent = z.object({
  account: z.string().regex(/^[0-9]{12}$/, { error: "not an AWS account id" }),
  region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-[0-9]+$/, { error: "not an AWS region" }),
  detail: z.object({
    "repository-name": repositoryName,
    "image-digest": sha256Digest,
    "image-tag": z.union([z.literal(""), tagName]).optional(),
    "manifest-media-type": text.optional(),
  }),
});

/** The registry host of an account and region; the China partition has its own DNS suffix. */
export function ecrRegistryHost(account: string, region: string): string {
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `${account}.dkr.ecr.${region}.${suffix}`;
}

function parseEcr(body: unknown): ParsedDelivery {
  const head = validatePayload(envelope, body, "ecr");
  const eventId = head.id !== undefined ? { eventId: head.id } : {};
  if (head.source !== "aws.ecr" || head["detail-type"] !== "ECR Image Action") {
    return { events: [], ignored: [{ reason: `${head.source} ${head["detail-type"]} event`, ...eventId }] };
  }
  const { "action-type": action, result } = head.detail;
  if (action !== "PUSH" || result !== "SUCCESS") {
    return {
      events: [],
      ignored: [{ reason: `${action ?? "unknown"} ${result ?? "unknown"} image action`, ...eventId }],
    };
  }
  const event = validatePayload(pushEvent, body, "ecr");
  const detail = event.detail;
  const tag = detail["image-tag"] || undefined;
  const mediaType = detail["manifest-media-type"];
  return {
    events: [
      {
        registry: ecrRegistryHost(event.account, event.region),
        repository: detail["repository-name"],
        ...(tag !== undefined && { tag }),
        digest: detail["image-digest"],
        ...(mediaType !== undefined && { mediaType }),
        ...(head.id !== undefined && { deliveryId: head.id }),
      },
    ],
    ignored: [],
  };
}

export const ecrSource: WebhookSource<EcrSettings, typeof ecrSettings> = {
  kind: "ecr",
  settings: ecrSettings,
  summary:
    "ECR via EventBridge API destination. settings.auth: the connection's API-key header or Basic credentials.",
  authenticate: (delivery, settings) => verifyHeaderCredential(delivery, settings.auth),
  parse: (delivery) => parseEcr(readJsonBody(delivery)),
};
