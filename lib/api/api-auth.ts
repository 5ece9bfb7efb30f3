// Authentication of REST callers from the `Authorization: Bearer` header: a configured API token
// (compared in constant time), or a GitHub Actions OIDC token when that is configured.
import type { JWTVerifyGetKey } from "jose";
import { constantTimeEqual } from "../webhooks/constant-time.ts";
import { type ApiAuthSettings, apiAuthConfigured, revealSecret } from "./auth-settings.ts";
import { type GithubActionsCaller, githubKeySet, verifyGithubActionsToken } from "./github-actions-token.ts";
import { HttpProblem, ProblemTypes } from "./problem.ts";

export interface TokenCaller {
  readonly kind: "token";
  /** Which configured token (its position in `api.tokens`, from 1): never the token itself. */
  readonly index: number;
}

export type Caller = TokenCaller | GithubActionsCaller;

/** What a job records as its source: never a credential, only which one was used. */
export function callerSource(caller: Caller): string {
  return caller.kind === "token" ? `api:token/${caller.index}` : `api:github/${caller.repository}`;
}

export interface ApiAuthenticatorOptions {
  readonly settings: ApiAuthSettings | undefined;
  /** GitHub's key set; by default fetched from the issuer's JWKS URL (and cached by jose). */
  readonly githubKeys?: JWTVerifyGetKey;
  /** The fetch used for that key set. */
  readonly fetchJwks?: typeof fetch;
  readonly clock?: () => Date;
}

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="countersign"' };
// RFC 6750 §2.1 b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export class ApiAuthenticator {
  readonly #settings: ApiAuthSettings | undefined;
  readonly #githubKeys: JWTVerifyGetKey | undefined;
  readonly #clock: () => Date;

  constructor(options: ApiAuthenticatorOptions) {
    this.#settings = options.settings;
    this.#clock = options.clock ?? (() => new Date());
    const github = options.settings?.githubOidc;
    this.#githubKeys = options.githubKeys ?? (github && githubKeySet(github, options.fetchJwks));
  }

  /** False when neither tokens nor GitHub Actions are configured: reads are then open. */
  get configured(): boolean {
    return apiAuthConfigured(this.#settings);
  }

  /** The caller, or HttpProblem 401 (no or bad credential), 403 (claims refused), 503 (keys unavailable). */
  async authenticate(authorization: string | null): Promise<Caller> {
    if (!this.configured) {
      throw new HttpProblem(
        ProblemTypes.unauthorized,
        "no API credentials are configured (api.tokens or api.githubOidc)",
        { headers: CHALLENGE },
      );
    }
    if (authorization === null) {
      throw new HttpProblem(ProblemTypes.unauthorized, "missing Authorization header", {
        headers: CHALLENGE,
      });
    }
    const match = BEARER.exec(authorization.trim());
    if (!match) {
      throw new HttpProblem(ProblemTypes.unauthorized, "Authorization is not a bearer token", {
        headers: CHALLENGE,
      });
    }
    const presented = match[1]!;
    const tokenCaller = await this.#matchApiToken(presented);
    if (tokenCaller !== undefined) return tokenCaller;
    const github = this.#settings?.githubOidc;
    if (github !== undefined && this.#githubKeys !== undefined && COMPACT_JWS.test(presented)) {
      return verifyGithubActionsToken(presented, {
        settings: github,
        keys: this.#githubKeys,
        now: this.#clock(),
      });
    }
    throw new HttpProblem(ProblemTypes.unauthorized, "the bearer token is not valid", {
      headers: { "WWW-Authenticate": 'Bearer realm="countersign", error="invalid_token"' },
    });
  }

  async #matchApiToken(presented: string): Promise<TokenCaller | undefined> {
    let matched: number | undefined;
    const tokens = this.#settings?.tokens ?? [];
    // Every configured token is compared, so the time taken does not say which one (or whether) matched.
    for (let i = 0; i < tokens.length; i++) {
      if ((await constantTimeEqual(presented, revealSecret(tokens[i]!))) && matched === undefined)
        matched = i + 1;
    }
    return matched === undefined ? undefined : { kind: "token", index: matched };
  }
}
