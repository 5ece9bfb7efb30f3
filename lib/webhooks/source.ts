import type { z } from "zod";
import type { PushEvent } from "./push-event.ts";

/** One HTTP delivery as the app received it; the body is raw because signatures cover the exact bytes. */
export interface WebhookDelivery {
  readonly body: Uint8Array;
  readonly headers: Headers;
  /** The full request URL: some senders (Docker Hub, Quay) can only authenticate with a token in it. */
  readonly url: URL;
  /** Clock for time-bound checks (JWT expiry), injected so tests are deterministic. */
  readonly receivedAt: Date;
}

/** An event the source recognised and chose not to turn into a PushEvent (a pull, a blob, a delete…). */
export interface IgnoredEvent {
  readonly reason: string;
  readonly eventId?: string;
}

/**
 * What a delivery said was pushed, reported faithfully: a foreign host, a cosign `sha256-<hex>.sig` tag
 * or a referrer is parsed like any other push, because the policy is the one place that refuses them
 * (for every source alike). Only what is not a manifest push at all (pulls, deletes, blobs, other event
 * types) is `ignored`, with a short reason for logs and metrics.
 */
export interface ParsedDelivery {
  readonly events: readonly PushEvent[];
  readonly ignored: readonly IgnoredEvent[];
}

/**
 * One webhook sender. The app calls `authenticate` first, and `parse` only if it resolved:
 * nothing is parsed, and no outbound request is made, for an unauthenticated delivery.
 */
export interface WebhookSource<
  Settings extends { readonly kind: string },
  Schema extends z.ZodObject = z.ZodObject,
> {
  readonly kind: Settings["kind"];
  /** The `settings` of a configured webhook of this kind, `kind` included as a literal. */
  readonly settings: Schema;
  /** One line for the configuration's schema: the sender, and what its settings hold. */
  readonly summary: string;
  /** Resolves, or throws WebhookAuthError (or WebhookAuthUnavailableError when a verifier is down). */
  authenticate(delivery: WebhookDelivery, settings: Settings): Promise<void>;
  /** Throws WebhookPayloadError, naming the offending field. */
  parse(delivery: WebhookDelivery, settings: Settings): ParsedDelivery;
}
