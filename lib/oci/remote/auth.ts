// Registry authentication: anonymous, Basic, and the Docker/OCI token flow (distribution docs
// "Token Authentication Specification": a 401 with `WWW-Authenticate: Bearer realm,service,scope`,
// then a token from the realm). Tokens are cached per registry (one Authenticator per registry) and
// per scope set, until shortly before they expire. Secrets stay in private fields and never reach a
// message.
import { z } from "zod";
import { base64FromText } from "../../encoding.ts";
import { AuthenticationError, redactUrl } from "../errors.ts";
import { isLoopbackHost } from "../loopback.ts";
import { type Challenge, parseChallenges } from "./challenge.ts";
import type { Credential, CredentialStore } from "./credentials.ts";

/** `repository:team/app:pull,push` (token spec "Requesting a Token", scope). */
export function repositoryScope(
  repository: string,
  actions: readonly ("pull" | "push" | "delete")[],
): string {
  return `repository:${repository}:${actions.join(",")}`;
}

/** One HTTP exchange with a token endpoint, performed by the transport (retries, timeouts, counting). */
export type TokenExchange = (request: {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}) => Promise<{ readonly status: number; readonly bytes: Uint8Array }>;

export interface AuthenticatorOptions {
  readonly registry: string;
  readonly credentials?: CredentialStore;
  readonly exchange: TokenExchange;
  /** Allow a token realm over plain HTTP (loopback realms always are). */
  readonly allowPlainHttpRealm?: boolean;
  readonly clientId?: string;
  readonly now?: () => number;
}

const TokenResponse = z
  .object({
    token: z.string().min(1).optional(),
    access_token: z.string().min(1).optional(),
    expires_in: z.number().positive().optional(),
  })
  .loose();

/** The token spec: "expires_in … When omitted, this defaults to 60 seconds." */
const DEFAULT_TOKEN_LIFETIME_S = 60;
const TOKEN_SIZE_LIMIT = 1 << 20;

interface BearerRealm {
  readonly realm: string;
  readonly service: string | undefined;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

export class Authenticator {
  readonly #registry: string;
  readonly #credentials: CredentialStore | undefined;
  readonly #exchange: TokenExchange;
  readonly #allowPlainHttpRealm: boolean;
  readonly #clientId: string;
  readonly #now: () => number;
  #mode: "anonymous" | "basic" | "bearer" = "anonymous";
  #bearer: BearerRealm | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<string>>();
  #credential: Promise<Credential | undefined> | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#registry = options.registry;
    this.#credentials = options.credentials;
    this.#exchange = options.exchange;
    this.#allowPlainHttpRealm = options.allowPlainHttpRealm ?? false;
    this.#clientId = options.clientId ?? "countersign";
    this.#now = options.now ?? Date.now;
  }

  /** The `Authorization` value to send up front, once the registry's scheme is known. */
  async authorize(scopes: readonly string[]): Promise<string | undefined> {
    if (this.#mode === "basic") return this.#basicHeader(await this.#credential_());
    if (this.#mode === "bearer" && this.#bearer !== undefined) {
      return `Bearer ${await this.#token(this.#bearer, scopes, scopes)}`;
    }
    return undefined;
  }

  /**
   * Answers a 401: learns the scheme from the challenge and returns the `Authorization` to retry with,
   * or undefined when there is nothing better to send than `previous`.
   */
  async respond(
    header: string | null,
    scopes: readonly string[],
    previous: string | undefined,
  ): Promise<string | undefined> {
    const challenges = header === null ? [] : parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    const credential = await this.#credential_();
    if (bearer !== undefined) return this.#respondBearer(bearer, scopes, previous);
    if (challenges.some((c) => c.scheme === "basic")) {
      const basic = this.#basicHeader(credential);
      if (basic === undefined || previous === basic) return undefined;
      this.#mode = "basic";
      return basic;
    }
    return undefined;
  }

  async #respondBearer(challenge: Challenge, scopes: readonly string[], previous: string | undefined) {
    const realm = challenge.params.realm;
    if (realm === undefined || realm.length === 0) {
      throw new AuthenticationError(`registry ${this.#registry}: Bearer challenge without a realm`);
    }
    this.#checkRealm(realm);
    const bearer = { realm, service: challenge.params.service };
    this.#mode = "bearer";
    this.#bearer = bearer;
    const wanted = union(scopes, (challenge.params.scope ?? "").split(" "));
    const key = cacheKey(bearer, scopes);
    const cached = this.#tokens.get(key);
    if (cached !== undefined && previous === `Bearer ${cached.token}`) this.#tokens.delete(key);
    const token = await this.#token(bearer, scopes, wanted);
    return previous === `Bearer ${token}` ? undefined : `Bearer ${token}`;
  }

  #checkRealm(realm: string): void {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AuthenticationError(`registry ${this.#registry}: token realm is not a URL`);
    }
    const secure = url.protocol === "https:";
    const plainAllowed = url.protocol === "http:" && (this.#allowPlainHttpRealm || isLoopbackHost(url.host));
    if (!secure && !plainAllowed) {
      throw new AuthenticationError(
        `registry ${this.#registry}: refusing token realm ${redactUrl(realm)} (credentials need HTTPS)`,
      );
    }
  }

  #token(bearer: BearerRealm, keyScopes: readonly string[], scopes: readonly string[]): Promise<string> {
    const key = cacheKey(bearer, keyScopes);
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.expiresAt > this.#now()) return Promise.resolve(cached.token);
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const request = this.#fetchToken(bearer, scopes)
      .then(({ token, lifetimeS }) => {
        // Renew a little early so a token never expires between the check and the request.
        const margin = Math.min(30, lifetimeS / 10) * 1000;
        this.#tokens.set(key, { token, expiresAt: this.#now() + lifetimeS * 1000 - margin });
        return token;
      })
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, request);
    return request;
  }

  async #fetchToken(
    bearer: BearerRealm,
    scopes: readonly string[],
  ): Promise<{ token: string; lifetimeS: number }> {
    const credential = await this.#credential_();
    if (credential?.registryToken !== undefined) {
      return { token: credential.registryToken, lifetimeS: DEFAULT_TOKEN_LIFETIME_S };
    }
    const url = new URL(bearer.realm);
    const headers: Record<string, string> = { accept: "application/json" };
    let response: { status: number; bytes: Uint8Array };
    if (credential?.identityToken !== undefined) {
      // OAuth2 refresh-token grant, as Docker does with an identity token.
      const form = new URLSearchParams({ grant_type: "refresh_token", client_id: this.#clientId });
      form.set("refresh_token", credential.identityToken);
      if (bearer.service !== undefined) form.set("service", bearer.service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      headers["content-type"] = "application/x-www-form-urlencoded";
      response = await this.#exchange({ method: "POST", url: url.href, headers, body: form.toString() });
    } else {
      if (bearer.service !== undefined) url.searchParams.set("service", bearer.service);
      for (const scope of scopes) url.searchParams.append("scope", scope);
      const basic = this.#basicHeader(credential);
      if (basic !== undefined) {
        headers.authorization = basic;
        url.searchParams.set("account", credential?.username ?? "");
      }
      response = await this.#exchange({ method: "GET", url: url.href, headers });
    }
    return this.#readToken(bearer, response);
  }

  #readToken(bearer: BearerRealm, response: { status: number; bytes: Uint8Array }) {
    const where = `registry ${this.#registry}: token request to ${redactUrl(bearer.realm)}`;
    if (response.status !== 200)
      throw new AuthenticationError(`${where} answered ${response.status}`, response.status);
    if (response.bytes.length > TOKEN_SIZE_LIMIT)
      throw new AuthenticationError(`${where}: response too large`);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(response.bytes));
    } catch {
      throw new AuthenticationError(`${where}: response is not JSON`);
    }
    const parsed = TokenResponse.safeParse(json);
    const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
    if (token === undefined) throw new AuthenticationError(`${where}: response carries no token`);
    return { token, lifetimeS: (parsed.success && parsed.data.expires_in) || DEFAULT_TOKEN_LIFETIME_S };
  }

  #basicHeader(credential: Credential | undefined): string | undefined {
    if (credential?.username === undefined || credential.password === undefined) return undefined;
    return `Basic ${base64FromText(`${credential.username}:${credential.password}`)}`;
  }

  #credential_(): Promise<Credential | undefined> {
    this.#credential ??= this.#credentials?.get(this.#registry) ?? Promise.resolve(undefined);
    return this.#credential;
  }

  toJSON(): unknown {
    return { registry: this.#registry, mode: this.#mode };
  }
}

function cacheKey(bearer: BearerRealm, scopes: readonly string[]): string {
  return `${bearer.realm}\n${bearer.service ?? ""}\n${[...new Set(scopes)].sort().join(" ")}`;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b].filter((s) => s.length > 0))];
}
