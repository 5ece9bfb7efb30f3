// Where registry credentials come from: explicit configuration, or Docker's `config.json` (`auths`).
// Credential helpers (`credsStore`, `credHelpers`) run programs, which `lib/` cannot do: a Node adapter
// can implement CredentialStore for them.
import { z } from "zod";
import { fromForgivingBase64, fromUtf8 } from "../../encoding.ts";
import { DOCKER_HUB } from "../reference.ts";

/** Username/password for Basic (and for the token endpoint), or tokens from a prior login. */
export interface Credential {
  readonly username?: string;
  readonly password?: string;
  /** OAuth2 refresh token (`identitytoken` in config.json), exchanged at the token realm. */
  readonly identityToken?: string;
  /** A bearer token used as is (`registrytoken` in config.json). */
  readonly registryToken?: string;
}

export interface CredentialStore {
  /** Credential for a registry host (`ghcr.io`, `127.0.0.1:5000`, `docker.io`), if any. */
  get(registry: string): Promise<Credential | undefined>;
}

export class CredentialConfigError extends Error {
  override readonly name = "CredentialConfigError";
}

/** A fixed map from registry host to credential; keys are normalised like config.json keys. */
export class StaticCredentialStore implements CredentialStore {
  readonly #byRegistry = new Map<string, Credential>();

  constructor(entries: Readonly<Record<string, Credential>>) {
    for (const [key, credential] of Object.entries(entries)) {
      this.#byRegistry.set(normalizeRegistryKey(key), credential);
    }
  }

  async get(registry: string): Promise<Credential | undefined> {
    return this.#byRegistry.get(normalizeRegistryKey(registry));
  }

  /** Never print secrets, whatever logs this object. */
  toJSON(): unknown {
    return { registries: [...this.#byRegistry.keys()] };
  }
}

const AuthEntry = z
  .object({
    auth: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    identitytoken: z.string().optional(),
    registrytoken: z.string().optional(),
  })
  .loose();

const DockerConfig = z.object({ auths: z.record(z.string(), AuthEntry).optional() }).loose();

/** Reads the `auths` section of a parsed Docker `config.json`. */
export function dockerConfigCredentials(config: unknown): StaticCredentialStore {
  const parsed = DockerConfig.safeParse(config);
  if (!parsed.success) {
    // zod issues would quote the offending values, which may be secrets: report paths only.
    const paths = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new CredentialConfigError(`Docker config.json: unexpected shape at ${paths || "top level"}`);
  }
  const entries: Record<string, Credential> = {};
  for (const [key, entry] of Object.entries(parsed.data.auths ?? {})) {
    entries[key] = credentialFromEntry(key, entry);
  }
  return new StaticCredentialStore(entries);
}

function credentialFromEntry(key: string, entry: z.infer<typeof AuthEntry>): Credential {
  let username = entry.username;
  let password = entry.password;
  if (entry.auth !== undefined && entry.auth.length > 0) {
    let decoded: string;
    try {
      decoded = fromUtf8(fromForgivingBase64(entry.auth.trim()));
    } catch (error) {
      throw new CredentialConfigError(
        `Docker config.json: auths[${JSON.stringify(key)}].auth is not base64`,
        {
          cause: error instanceof Error ? new Error(error.name) : undefined,
        },
      );
    }
    const colon = decoded.indexOf(":");
    if (colon === -1) {
      throw new CredentialConfigError(
        `Docker config.json: auths[${JSON.stringify(key)}].auth does not decode to username:password`,
      );
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  return {
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(entry.identitytoken !== undefined &&
      entry.identitytoken.length > 0 && { identityToken: entry.identitytoken }),
    ...(entry.registrytoken !== undefined &&
      entry.registrytoken.length > 0 && { registryToken: entry.registrytoken }),
  };
}

/**
 * config.json keys are written many ways: `https://index.docker.io/v1/`, `registry.example.com`,
 * `http://localhost:5000/v2/`. Reduce a key or host to `host[:port]`, Docker Hub's names to `docker.io`.
 */
export function normalizeRegistryKey(key: string): string {
  let host = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  host = host.split("/")[0] ?? host;
  host = host.toLowerCase();
  if (host === "index.docker.io" || host === "registry-1.docker.io" || host === "registry.hub.docker.com") {
    return DOCKER_HUB;
  }
  return host;
}
