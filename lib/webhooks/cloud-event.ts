// CloudEvents 1.0 over HTTP (cloudevents/spec http-protocol-binding.md), as Harbor (structured) and zot
// (binary, the sdk-go default; or structured) send them. Only JSON data is accepted.
import { z } from "zod";
import { WebhookPayloadError } from "./errors.ts";
import { MAX_FIELD_LENGTH } from "./limits.ts";
import { decodeJson, mediaTypeOf, validatePayload } from "./payload.ts";
import type { WebhookDelivery } from "./source.ts";

export interface CloudEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly data: unknown;
}

const STRUCTURED_MEDIA_TYPE = "application/cloudevents+json";

const attribute = z.string().min(1).max(MAX_FIELD_LENGTH);
const structuredEvent = z.looseObject({
  specversion: z.literal("1.0"),
  id: attribute,
  source: attribute,
  type: attribute,
  datacontenttype: z.string().max(MAX_FIELD_LENGTH).optional(),
  data: z.unknown().optional(),
  data_base64: z.undefined({ error: "data_base64 is not supported: send JSON data" }).optional(),
});

/** True when the delivery is a CloudEvent in either content mode. */
export function isCloudEvent(delivery: WebhookDelivery): boolean {
  return mediaTypeOf(delivery.headers) === STRUCTURED_MEDIA_TYPE || delivery.headers.has("ce-specversion");
}

function isJsonMediaType(mediaType: string): boolean {
  return mediaType === "application/json" || mediaType === "text/json" || mediaType.endsWith("+json");
}

export function readCloudEvent(delivery: WebhookDelivery, kind: string): CloudEvent {
  const mediaType = mediaTypeOf(delivery.headers);
  if (mediaType === STRUCTURED_MEDIA_TYPE) {
    const event = validatePayload(structuredEvent, decodeJson(delivery.body, "body"), kind);
    return { id: event.id, type: event.type, source: event.source, data: event.data };
  }
  const headers = delivery.headers;
  if (!headers.has("ce-specversion")) {
    throw new WebhookPayloadError(
      `invalid ${kind} payload: not a CloudEvent (no ce-specversion header, Content-Type is not ${STRUCTURED_MEDIA_TYPE})`,
    );
  }
  // Binary mode: attributes in ce-* headers, the body is the data.
  const attributes = validatePayload(
    z.object({
      "ce-specversion": z.literal("1.0"),
      "ce-id": attribute,
      "ce-source": attribute,
      "ce-type": attribute,
    }),
    {
      "ce-specversion": headers.get("ce-specversion"),
      "ce-id": headers.get("ce-id") ?? undefined,
      "ce-source": headers.get("ce-source") ?? undefined,
      "ce-type": headers.get("ce-type") ?? undefined,
    },
    `${kind} CloudEvent header`,
  );
  if (!isJsonMediaType(mediaType)) {
    throw new WebhookPayloadError(
      `invalid ${kind} payload: CloudEvent data must be JSON, not '${mediaType.slice(0, 100)}'`,
    );
  }
  return {
    id: attributes["ce-id"],
    type: attributes["ce-type"],
    source: attributes["ce-source"],
    data: decodeJson(delivery.body, "body"),
  };
}
