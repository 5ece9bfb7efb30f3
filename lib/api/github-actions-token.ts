// A GitHub Actions OIDC token checked with jose: signature against GitHub's key set, issuer, audience,
// expiry; then the claim policy. Claims as documented in "About security hardening with OpenID
// Connect": `repository`, `ref`, `workflow`, `job_workflow_ref`, `sub`.
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { globMatches } from "../config/glob.ts";
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

/** GitHub signs Actions tokens with RS256 (its key set holds RSA keys only). */
const ALGORITHMS = ["RS256"];
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** Thrown by our key resolver when the key set itself could not be obtained: an outage, not a forgery. */
class KeySetUnavailable extends Error {
  override readonly name = "KeySetUnavailable";
}

/** A remote key set that tells "cannot fetch keys" (503) apart from "no key for this token" (401). */
export function githubKeySet(settings: GithubOidcSettings, fetchJwks?: typeof fetch): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(githubJwksUrl(settings)), {
    ...(fetchJwks !== undefined && { [customFetch]: fetchJwks }),
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw new KeySetUnavailable("the GitHub Actions key set could not be fetched", { cause: error });
    }
  };
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
    ({ payload } = await jwtVerify(token, options.keys, {
      algorithms: ALGORITHMS,
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ["exp", "iat", "sub", "repository", "ref"],
      currentDate: options.now,
      clockTolerance: settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    if (error instanceof KeySetUnavailable) {
      throw new HttpProblem(ProblemTypes.authUnavailable, error.message, { cause: error });
    }
    // jose's messages name the failed check (`unexpected "aud" claim value`), never the token.
    const reason = error instanceof errors.JOSEError ? `: ${error.message}` : "";
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
