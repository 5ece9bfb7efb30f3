// Registry authentication: anonymous, Basic, and the Docker/OCI token flow (distribution docs
// "Token Authentication Specification": a 401 with `WWW-Authenticate: Bearer realm,service,scope`,
// then a token from the realm). Tokens are cached per registry (one Authenticator per registry) and
// per scope set, until shortly before they expire. Secrets stay in private fields and never reach a
// message. Credentials go to their own host only: a realm must be on the registry's origin host or on
// a host its configuration or profile names (auth.docker.io for Docker Hub), and a realm learnt from
// one repository's challenge is used for that repository only, so a hostile repository cannot send
// the others to its realm. A failed token request is not remembered: the next request asks again.
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
  /** The registry's origin (`https://registry-1.docker.io`): realms on its host are allowed. */
  readonly origin: string;
  /** Other hosts (`host[:port]`) a token realm may be on: the profile's and the configuration's. */
  readonly realmHosts?: readonly string[];
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

/** Realms remembered (one per repository asked about); the oldest is forgotten beyond this. */
const MAX_REMEMBERED_REALMS = 1_000;

export class Authenticator {
  readonly #registry: string;
  readonly #realmHosts: ReadonlySet<string>;
  readonly #credentials: CredentialStore | undefined;
  readonly #exchange: TokenExchange;
  readonly #allowPlainHttpRealm: boolean;
  readonly #clientId: string;
  readonly #now: () => number;
  /** The registry answered a Basic challenge: Basic goes up front (to its origin, see transport.ts). */
  #basic = false;
  /** Bearer realms by the resource the challenge was answered for (`repository:team/app`). */
  readonly #realms = new Map<string, BearerRealm>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<string>>();
  #credential: Promise<Credential | undefined> | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#registry = options.registry;
    const own = new URL(options.origin).host;
    this.#realmHosts = new Set([own, ...(options.realmHosts ?? [])].map(canonicalHost));
    this.#credentials = options.credentials;
    this.#exchange = options.exchange;
    this.#allowPlainHttpRealm = options.allowPlainHttpRealm ?? false;
    this.#clientId = options.clientId ?? "countersign";
    this.#now = options.now ?? Date.now;
  }

  /** The `Authorization` value to send up front, once the registry's scheme is known. */
  async authorize(scopes: readonly string[]): Promise<string | undefined> {
    const bearer = this.#realms.get(realmKey(scopes));
    if (bearer !== undefined) return `Bearer ${await this.#token(bearer, scopes, scopes)}`;
    if (this.#basic) return this.#basicHeader(await this.#credential_());
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
      this.#basic = true;
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
    this.#remember(realmKey(scopes), bearer);
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
    if (!this.#realmHosts.has(canonicalHost(url.host))) {
      throw new AuthenticationError(
        `registry ${this.#registry}: refusing token realm on another host, ${url.origin} (allowed: the registry's host${this.#realmHosts.size > 1 ? " and the configured realm hosts" : ""})`,
      );
    }
  }

  #remember(key: string, bearer: BearerRealm): void {
    this.#realms.delete(key);
    this.#realms.set(key, bearer);
    if (this.#realms.size > MAX_REMEMBERED_REALMS) {
      const oldest = this.#realms.keys().next().value;
      if (oldest !== undefined) this.#realms.delete(oldest);
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
    if (this.#credential === undefined) {
      const pending = this.#credentials?.get(this.#registry) ?? Promise.resolve(undefined);
      // A store that failed once (a secret service timing out) is asked again next time.
      pending.catch(() => {
        if (this.#credential === pending) this.#credential = undefined;
      });
      this.#credential = pending;
    }
    return this.#credential;
  }

  toJSON(): unknown {
    return { registry: this.#registry, basic: this.#basic, realms: this.#realms.size };
  }
}

/**
 * What a realm is remembered for: the resource of the request's first scope (`repository:team/app`,
 * whatever the actions), `""` for requests without scopes (the version check).
 */
function realmKey(scopes: readonly string[]): string {
  const [first] = scopes;
  if (first === undefined) return "";
  const parts = first.split(":");
  return parts.length >= 3 ? parts.slice(0, -1).join(":") : first;
}

/** `host[:port]` as the URL parser writes it (lowercase, default port dropped). */
function canonicalHost(host: string): string {
  try {
    return new URL(`https://${host}`).host;
  } catch {
    return host.toLowerCase();
  }
}

function cacheKey(bearer: BearerRealm, scopes: readonly string[]): string {
  return `${bearer.realm}\n${bearer.service ?? ""}\n${[...new Set(scopes)].sort().join(" ")}`;
}

/**
 * The request's scopes and the challenge's, one entry per resource with the actions of both: a
 * registry may list the same scope with its actions in another order (`push,pull`), which is no
 * reason to ask for it twice.
 */
function union(a: readonly string[], b: readonly string[]): string[] {
  const actions = new Map<string, string[]>();
  for (const scope of [...a, ...b]) {
    if (scope.length === 0) continue;
    const colon = scope.lastIndexOf(":");
    const resource = colon > 0 && scope.indexOf(":") !== colon ? scope.slice(0, colon) : scope;
    const listed = actions.get(resource) ?? [];
    if (resource !== scope) {
      for (const action of scope.slice(colon + 1).split(","))
        if (!listed.includes(action)) listed.push(action);
    }
    actions.set(resource, listed);
  }
  return [...actions].map(([resource, listed]) =>
    listed.length > 0 ? `${resource}:${listed.join(",")}` : resource,
  );
}
