// Registry clients for configured hosts only: the one place a host name from a webhook or an API call
// becomes a client, so an unconfigured host can never receive a request (no SSRF through a webhook).
// The same entry says which other hosts may receive anything on the registry's behalf: token realms
// (its profile's and the configured ones) and private storage hosts for blob redirects.

import { profileFor, type RegistryProfile } from "../artifacts/profiles.ts";
import { configuredRegistry, normalizeRegistryHost } from "../config/registry-host.ts";
import type { RegistryConfig } from "../config/schema.ts";
import { RegistryClient, type RegistryClientOptions } from "../oci/remote/registry.ts";
import { SigningUserAgent } from "../oci/user-agent.ts";

export class UnconfiguredRegistryError extends Error {
  override readonly name = "UnconfiguredRegistryError";
  constructor(host: string) {
    super(`registry ${JSON.stringify(host)} is not configured`);
  }
}

export interface RegistryDirectory {
  /** The (cached) client of a configured host; throws UnconfiguredRegistryError for any other. */
  client(host: string): RegistryClient;
  profile(host: string): RegistryProfile;
  /** The configuration entry a host falls under, if any. */
  entry(host: string): RegistryConfig | undefined;
}

/** Options shared by every client (fetch, request hook, subject lock, retry…). */
export type SharedClientOptions = Omit<RegistryClientOptions, "credentials" | "plainHttp">;

export function registryDirectory(
  registries: readonly RegistryConfig[],
  shared: SharedClientOptions = {},
): RegistryDirectory {
  const clients = new Map<string, RegistryClient>();
  const entry = (host: string) => configuredRegistry(registries, host);
  return {
    entry,
    client(host) {
      const canonical = normalizeRegistryHost(host);
      const configured = entry(host);
      if (canonical === undefined || configured === undefined) throw new UnconfiguredRegistryError(host);
      let client = clients.get(canonical);
      if (client === undefined) {
        const credentials = configured.credentials;
        const profile = profileFor(canonical, configured.profile);
        client = new RegistryClient(canonical, {
          // The service only ever pushes signatures: its pushes come back as webhooks marked so.
          userAgent: SigningUserAgent,
          ...shared,
          tokenRealmHosts: [...profile.tokenRealmHosts, ...configured.tokenRealms],
          storageHosts: configured.storageHosts,
          ...(configured.plainHttp !== undefined && { plainHttp: configured.plainHttp }),
          ...(credentials !== undefined && {
            credentials: { username: credentials.username, password: credentials.password.reveal() },
          }),
        });
        clients.set(canonical, client);
      }
      return client;
    },
    profile(host) {
      return profileFor(normalizeRegistryHost(host) ?? host, entry(host)?.profile);
    },
  };
}
