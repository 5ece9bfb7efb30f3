// Typed errors of webhook handling. The app maps each class to one problem type:
// WebhookAuthError → 401, WebhookAuthUnavailableError → 503, WebhookPayloadError → 400.
// No message ever carries a secret, a received credential, or a token.

/** The sender could not be authenticated: missing or wrong credential, bad signature, rejected token. */
export class WebhookAuthError extends Error {
  override readonly name = "WebhookAuthError";
}

/**
 * The sender could not be checked because a verifier dependency failed (e.g. the JWKS endpoint is down).
 * Distinct from WebhookAuthError so that an outage is not counted as forged requests; senders retry on 5xx.
 */
export class WebhookAuthUnavailableError extends Error {
  override readonly name = "WebhookAuthUnavailableError";
}

export interface PayloadIssue {
  /** Dotted path into the payload, e.g. `events.0.target.digest`; `""` for the body itself. */
  readonly path: string;
  readonly message: string;
}

/** The authenticated body is not a payload this source understands. */
export class WebhookPayloadError extends Error {
  override readonly name = "WebhookPayloadError";
  readonly issues: readonly PayloadIssue[];

  constructor(message: string, options?: ErrorOptions & { readonly issues?: readonly PayloadIssue[] }) {
    super(message, options);
    this.issues = options?.issues ?? [];
  }
}
