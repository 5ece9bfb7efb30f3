// For senders that cannot sign or set headers (Docker Hub, Quay), the webhook URL itself carries a secret:
// `POST /webhooks/<name>?token=<secret>`. The app must keep query strings of webhook URLs out of its logs.
import { z } from "zod";
import { constantTimeEqual } from "./constant-time.ts";
import { WebhookAuthError } from "./errors.ts";
import type { WebhookDelivery } from "./source.ts";

/** The URL is the only credential, so it must be unguessable: 16 characters at least. */
export const urlToken = z.string().min(16, { error: "URL token must be at least 16 characters" });
export const urlTokenParameter = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "not a query parameter name" })
  .default("token");

export async function verifyUrlToken(
  delivery: WebhookDelivery,
  parameter: string,
  token: string,
): Promise<void> {
  const received = delivery.url.searchParams.getAll(parameter);
  if (received.length === 0) throw new WebhookAuthError(`missing '${parameter}' query parameter`);
  // Two values would let a proxy and the app disagree on which one counts.
  if (received.length > 1) throw new WebhookAuthError(`repeated '${parameter}' query parameter`);
  if (!(await constantTimeEqual(received[0]!, token))) {
    throw new WebhookAuthError(`'${parameter}' query parameter does not match the configured token`);
  }
}
