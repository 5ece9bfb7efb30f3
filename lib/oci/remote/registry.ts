// The registry client: one RegistryClient per registry host (it holds the auth state, token cache and
// learnt capabilities), handing out a Repository (repository.ts) per repository. oras-go's
// `registry/remote` is the model: only this package speaks the registry's HTTP.

import { isLoopbackHost } from "../loopback.ts";
import { checkRepositoryName, DOCKER_HUB, DOCKER_HUB_API_HOST } from "../reference.ts";
import { InProcessSubjectLock, type SubjectLock } from "../subject-lock.ts";
import { CountersignUserAgent } from "../user-agent.ts";
import { Authenticator, repositoryScope } from "./auth.ts";
import type { Credential, CredentialStore } from "./credentials.ts";
import { StaticCredentialStore } from "./credentials.ts";
import { DEFAULT_TIMEOUTS, type RequestTimeouts } from "./deadline.ts";
import { Repository } from "./repository.ts";
import {
  DEFAULT_LIMITS,
  RegistryCapabilities,
  type RegistryLimits,
  type RepositoryContext,
} from "./repository-context.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.ts";
import { versionCheckUrl } from "./routes.ts";
import type { SharedTagPolicy } from "./shared-tag.ts";
import { type RequestEvent, Transport } from "./transport.ts";

export interface RegistryClientOptions {
  /** Default `globalThis.fetch`; on Node, functions/node/fetch.ts gives a pooled keep-alive one. */
  readonly fetch?: typeof fetch;
  /** A store (looked up by registry host) or the credential for this registry. */
  readonly credentials?: CredentialStore | Credential;
  /** Default: true for loopback hosts (127.0.0.0/8, ::1, localhost), false elsewhere. */
  readonly plainHttp?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  /** Per attempt: first byte, whole answer, body silence (transport.ts DEFAULT_TIMEOUTS). */
  readonly timeouts?: Partial<RequestTimeouts>;
  /**
   * Hosts (`host[:port]`) besides the registry's own that may serve its token realm: the registry
   * profile's (`auth.docker.io` for Docker Hub) and the configuration's. Any other realm is refused.
   */
  readonly tokenRealmHosts?: readonly string[];
  /**
   * Storage hosts on loopback, link-local or private addresses that blob downloads may be redirected
   * to. Redirects to public hosts need no entry (and carry no credentials either way).
   */
  readonly storageHosts?: readonly string[];
  /** Called after every HTTP attempt, token requests included. */
  readonly onRequest?: (event: RequestEvent) => void;
  /** Serialises tag-schema index updates per subject. Default: in-process. */
  readonly subjectLock?: SubjectLock;
  readonly limits?: Partial<RegistryLimits>;
  /** How shared tags (referrers indexes, `.sig`) are confirmed after writing (shared-tag.ts). */
  readonly sharedTags?: Partial<SharedTagPolicy>;
  readonly userAgent?: string;
}

export class RegistryClient {
  /** As written in references: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000`. */
  readonly baseUrl: string;
  readonly #transport: Transport;
  readonly #capabilities = new RegistryCapabilities();
  readonly #limits: RegistryLimits;
  readonly #sharedTags: Partial<SharedTagPolicy>;
  readonly #lock: SubjectLock;

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    const plainHttp = options.plainHttp ?? isLoopbackHost(registry);
    const apiHost = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
    this.baseUrl = `${plainHttp ? "http" : "https"}://${apiHost}`;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#sharedTags = options.sharedTags ?? {};
    this.#lock = options.subjectLock ?? new InProcessSubjectLock();
    this.#transport = new Transport({
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      origin: new URL(this.baseUrl).origin,
      ...(options.storageHosts !== undefined && { allowedPrivateHosts: options.storageHosts }),
      ...(options.onRequest !== undefined && { onRequest: options.onRequest }),
      userAgent: options.userAgent ?? CountersignUserAgent,
    });
    const credentials = options.credentials;
    const store =
      credentials === undefined || "get" in credentials
        ? (credentials as CredentialStore | undefined)
        : new StaticCredentialStore({ [registry]: credentials });
    const transport = this.#transport;
    this.#transport.authenticator = new Authenticator({
      registry,
      origin: this.baseUrl,
      ...(options.tokenRealmHosts !== undefined && { realmHosts: options.tokenRealmHosts }),
      ...(store !== undefined && { credentials: store }),
      allowPlainHttpRealm: plainHttp,
      exchange: (request) =>
        transport.requestBytes(
          { ...request, operation: "auth.token", headers: { ...request.headers } },
          1 << 20,
        ),
    });
  }

  /** A repository of this registry; with `signal`, every request made through it is aborted with it. */
  repository(name: string, options: { readonly signal?: AbortSignal } = {}): Repository {
    checkRepositoryName(name);
    const context: RepositoryContext = {
      registry: this.registry,
      repository: name,
      baseUrl: this.baseUrl,
      transport: this.#transport.withSignal(options.signal),
      limits: this.#limits,
      capabilities: this.#capabilities,
      pullScopes: [repositoryScope(name, ["pull"])],
      pushScopes: [repositoryScope(name, ["pull", "push"])],
      deleteScopes: [repositoryScope(name, ["delete"])],
    };
    return new Repository(context, this.#lock, this.#sharedTags);
  }

  /** end-1: `GET /v2/`, authenticating if the registry asks. Throws unless it answers 200. */
  async ping(): Promise<void> {
    const request = { operation: "ping", method: "GET", url: versionCheckUrl(this.baseUrl), scopes: [] };
    const response = await this.#transport.requestBytes(request, 64 * 1024);
    if (response.status !== 200) throw await this.#transport.errorFrom(request, response);
  }

  /** What has been learnt about this registry so far. */
  get capabilities(): Readonly<RegistryCapabilities> {
    return this.#capabilities;
  }

  /** What another process learnt (remembered by the service's store): taken where this one knows nothing yet. */
  recall(facts: Readonly<Partial<Record<RememberedFact, boolean>>>): void {
    for (const fact of RememberedFacts) {
      const value = facts[fact];
      if (this.#capabilities[fact] === undefined && typeof value === "boolean")
        this.#capabilities[fact] = value;
    }
  }

  /** The facts worth remembering across processes, those learnt so far. */
  learnt(): Partial<Record<RememberedFact, boolean>> {
    const facts: Partial<Record<RememberedFact, boolean>> = {};
    for (const fact of RememberedFacts) {
      const value = this.#capabilities[fact];
      if (value !== undefined) facts[fact] = value;
    }
    return facts;
  }
}

/** Capabilities that each cost a probe to learn (a referrers request; a write with a wrong If-Match). */
export const RememberedFacts = ["referrersApi", "conditionalWrites"] as const;
export type RememberedFact = (typeof RememberedFacts)[number];
