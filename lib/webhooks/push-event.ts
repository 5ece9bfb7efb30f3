// What every webhook source is parsed into: "something was pushed here"; never trusted beyond that.

export interface PushEvent {
  /** Registry host as clients address it, with port when not default (e.g. "127.0.0.1:5000", "ghcr.io"). */
  readonly registry: string;
  /** Repository path without the host (e.g. "library/alpine", "team/app"). */
  readonly repository: string;
  /** Present when the event names a tag. */
  readonly tag?: string;
  /** `sha256:<hex>` when the event names one; a hint only: the job re-fetches and hashes the manifest. */
  readonly digest?: string;
  /** Media type as claimed by the sender, when it says. A hint only. */
  readonly mediaType?: string;
  /** The pushing client's User-Agent, where the sender reports it (distribution, zot). A hint only. */
  readonly userAgent?: string;
  /** Source-specific delivery id, for logs and dedupe of redeliveries. */
  readonly deliveryId?: string;
}
