// A GitHub Actions OIDC token checked with jose: signature against GitHub's key set, issuer, audience,
// expiry; then the claim policy. Claims as documented in "About security hardening with OpenID
// Connect": `repository`, `ref`, `workflow`, `job_workflow_ref`, `sub`.
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { globMatches } from "../config/glob.ts";
import { KeySetUnavailableError, remoteKeySet } from "../oidc/key-set.ts";
import { OidcTokenRejectedError, verifyOidcToken } from "../oidc/verify-token.ts";
import { type GithubOidcClaims, type GithubOidcSettings, githubJwksUrl } from "./auth-settings.ts";
import { HttpProblem, ProblemTypes } from "./problem.ts";

export interface GithubActionsCaller {
  readonly kind: "github-actions";
  readonly repository: string;
  readonly ref: string;
  readonly workflow: string | undefined;
  readonly jobWorkflowRef: string | undefined;
  /** `sub`, e.g. `repo:acme/app:ref:refs/heads/main`. */
  readonly subject: string;
}

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** GitHub's key set, telling "cannot fetch keys" (503) apart from "no key for this token" (401). */
export function githubKeySet(settings: GithubOidcSettings, fetchJwks?: typeof fetch): JWTVerifyGetKey {
  return remoteKeySet(githubJwksUrl(settings), "the GitHub Actions key set", fetchJwks);
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === "string" ? value : undefined;
}

/** Unlisted claims admit anything; a listed claim must be present and match one of its globs. */
function matchesAny(globs: readonly string[] | undefined, ...values: (string | undefined)[]): boolean {
  if (globs === undefined) return true;
  return values.some((value) => value !== undefined && globs.some((glob) => globMatches(glob, value)));
}

/** The first claim that the policy refuses, or undefined when every listed claim matches. */
function refusedClaim(claims: GithubOidcClaims, caller: GithubActionsCaller): string | undefined {
  if (!matchesAny(claims.repository, caller.repository)) return "repository";
  if (!matchesAny(claims.ref, caller.ref)) return "ref";
  if (!matchesAny(claims.workflow, caller.workflow, caller.jobWorkflowRef)) return "workflow";
  if (!matchesAny(claims.jobWorkflowRef, caller.jobWorkflowRef)) return "job_workflow_ref";
  return undefined;
}

export interface VerifyGithubActionsTokenOptions {
  readonly settings: GithubOidcSettings;
  readonly keys: JWTVerifyGetKey;
  readonly now: Date;
}

/** The admitted caller; throws HttpProblem 401 (bad token), 403 (claims refused) or 503 (no keys). */
export async function verifyGithubActionsToken(
  token: string,
  options: VerifyGithubActionsTokenOptions,
): Promise<GithubActionsCaller> {
  const { settings } = options;
  let payload: JWTPayload;
  try {
    payload = await verifyOidcToken(token, {
      keys: options.keys,
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ["exp", "iat", "sub", "repository", "ref"],
      now: options.now,
      clockToleranceSeconds: settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
    });
  } catch (error) {
    if (error instanceof KeySetUnavailableError) {
      throw new HttpProblem(ProblemTypes.authUnavailable, error.message, { cause: error });
    }
    const reason = error instanceof OidcTokenRejectedError && error.reason ? `: ${error.reason}` : "";
    throw new HttpProblem(ProblemTypes.unauthorized, `GitHub Actions token rejected${reason}`, {
      cause: error,
      headers: { "WWW-Authenticate": 'Bearer realm="countersign", error="invalid_token"' },
    });
  }
  const caller: GithubActionsCaller = {
    kind: "github-actions",
    repository: stringClaim(payload, "repository") ?? "",
    ref: stringClaim(payload, "ref") ?? "",
    workflow: stringClaim(payload, "workflow"),
    jobWorkflowRef: stringClaim(payload, "job_workflow_ref"),
    subject: payload.sub ?? "",
  };
  const refused = refusedClaim(settings.claims, caller);
  if (refused !== undefined) {
    throw new HttpProblem(
      ProblemTypes.forbidden,
      `the GitHub Actions token's ${refused} claim is not allowed (repository ${caller.repository}, ref ${caller.ref})`,
    );
  }
  return caller;
}
