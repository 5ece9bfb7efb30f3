// Who may call the REST API, as the configuration's `api` section states it (lib/config/schema.ts):
// bearer tokens, and GitHub Actions OIDC tokens (docs.github.com, "About security hardening with
// OpenID Connect") admitted by claim globs. Structural types, so a test can pass plain strings.

export const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

/** A resolved secret (lib/config SecretValue) or a plain string. */
export type SecretLike = string | { reveal(): string };

export function revealSecret(secret: SecretLike): string {
  return typeof secret === "string" ? secret : secret.reveal();
}

/** Claim globs (lib/config/glob.ts); a token must match one glob of every listed claim. */
export interface GithubOidcClaims {
  readonly repository: readonly string[];
  readonly ref?: readonly string[] | undefined;
  /**
   * Matched against the `workflow` claim (the workflow's name) or `job_workflow_ref`
   * (`owner/repo/.github/workflows/file.yml@ref`, which also names reusable workflows).
   */
  readonly workflow?: readonly string[] | undefined;
  /** Matched against `job_workflow_ref` only. */
  readonly jobWorkflowRef?: readonly string[] | undefined;
}

export interface GithubOidcSettings {
  readonly audience: string;
  readonly issuer: string;
  /** Default `<issuer>/.well-known/jwks`. */
  readonly jwksUrl?: string | undefined;
  readonly clockToleranceSeconds?: number | undefined;
  readonly claims: GithubOidcClaims;
}

export interface ApiAuthSettings {
  readonly tokens: readonly SecretLike[];
  readonly githubOidc?: GithubOidcSettings | undefined;
}

/** When nothing is configured, reads are open (local development) and sign-on-demand is refused. */
export function apiAuthConfigured(settings: ApiAuthSettings | undefined): boolean {
  return settings !== undefined && (settings.tokens.length > 0 || settings.githubOidc !== undefined);
}

export function githubJwksUrl(settings: GithubOidcSettings): string {
  return settings.jwksUrl ?? `${settings.issuer.replace(/\/+$/, "")}/.well-known/jwks`;
}
