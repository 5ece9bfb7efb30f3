// A shared secret a sender puts in a request header: distribution's `notifications.endpoints[].headers`,
// Harbor's "Auth Header", ACR custom headers, an EventBridge API-destination connection (API key or Basic),
// zot sink credentials. Configured as a header name and value, or as Basic / Bearer shorthands.
import { z } from "zod";
import { base64FromText } from "../encoding.ts";
import { constantTimeEqual } from "./constant-time.ts";
import { WebhookAuthError } from "./errors.ts";
import type { WebhookDelivery } from "./source.ts";

/** RFC 9110 §5.1 field-name = token. */
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const headerName = z.string().regex(headerNamePattern, { error: "not an HTTP header name" });
export const secret = z.string().min(1, { error: "secret must not be empty" });

export const headerCredential = z.union([
  z.strictObject({ header: headerName.default("Authorization"), value: secret }),
  z.strictObject({
    // RFC 7617 §2: the user-id cannot contain a colon.
    basic: z.strictObject({
      username: z.string().regex(/^[^:]+$/, { error: "username without ':'" }),
      password: secret,
    }),
  }),
  z.strictObject({ bearer: secret }),
]);
export type HeaderCredential = z.infer<typeof headerCredential>;

/** The header a sender configured with `credential` sends, verbatim. */
export function expectedHeader(credential: HeaderCredential): {
  readonly name: string;
  readonly value: string;
} {
  if ("basic" in credential) {
    // RFC 7617: user-id ":" password, UTF-8, base64.
    const { username, password } = credential.basic;
    return { name: "Authorization", value: `Basic ${base64FromText(`${username}:${password}`)}` };
  }
  if ("bearer" in credential) return { name: "Authorization", value: `Bearer ${credential.bearer}` };
  return { name: credential.header, value: credential.value };
}

/** Resolves when the delivery carries exactly the configured header value; the values are never echoed. */
export async function verifyHeaderCredential(
  delivery: WebhookDelivery,
  credential: HeaderCredential,
): Promise<void> {
  const expected = expectedHeader(credential);
  const received = delivery.headers.get(expected.name);
  if (received === null) throw new WebhookAuthError(`missing ${expected.name} header`);
  if (!(await constantTimeEqual(received, expected.value))) {
    throw new WebhookAuthError(`${expected.name} header does not match the configured credential`);
  }
}
