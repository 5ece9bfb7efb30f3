// Registry hosts compared in one spelling. Both the configuration and every event go through
// `normalizeRegistryHost`, and policy then compares strings exactly: no substring or suffix matching
// (sigstore-js's host-substring "downgrade" is the cautionary tale), so `127.0.0.1:5000.evil.com`,
// `evil.com/127.0.0.1` or `user@127.0.0.1` can never pass for a configured registry.
import { isLoopbackHost } from "../oci/loopback.ts";

/** host[:port] with nothing else: no path, user info, query, whitespace or backslash. */
const HOST_SHAPE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

// Docker Hub's registry answers under three names; distribution/reference normalize.go spells it docker.io.
const DOCKER_HUB_ALIASES: Readonly<Record<string, string>> = {
  "index.docker.io": "docker.io",
  "registry-1.docker.io": "docker.io",
};

/**
 * The canonical `host[:port]`, or undefined when `input` is not one: lowercase, no trailing dot,
 * IPv4 in dotted decimal (the WHATWG URL parser turns `2130706433` or `0x7f.1` into `127.0.0.1`, as
 * fetch would when connecting), IPv6 compressed in brackets, `:443` dropped (the HTTPS default).
 */
export function normalizeRegistryHost(input: string): string | undefined {
  if (typeof input !== "string" || !HOST_SHAPE.test(input)) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${input}/`);
  } catch {
    return undefined;
  }
  if (url.username !== "" || url.password !== "" || url.pathname !== "/") return undefined;
  let hostname = url.hostname.replace(/\.$/, "");
  if (hostname === "") return undefined;
  hostname = DOCKER_HUB_ALIASES[hostname] ?? hostname;
  return url.port === "" ? hostname : `${hostname}:${url.port}`;
}

/** A configured host: exact, or a loopback host with any port (`127.0.0.1:*`). */
export interface RegistryHostPattern {
  /** Canonical host without the port wildcard. */
  readonly host: string;
  readonly anyPort: boolean;
}

/** Parses a configured host; the reason is undefined when it is valid. */
export function parseRegistryHostPattern(
  input: string,
): { readonly pattern: RegistryHostPattern } | { readonly problem: string } {
  const anyPort = input.endsWith(":*");
  const host = normalizeRegistryHost(anyPort ? input.slice(0, -2) : input);
  if (host === undefined) {
    return { problem: `${JSON.stringify(input)} is not a registry host (host, host:port or [ipv6]:port)` };
  }
  // A port wildcard on a remote host would let any webhook aim requests at every port of it.
  if (anyPort && (hasPort(host) || !isLoopbackHost(host))) {
    return {
      problem: `the port wildcard ":*" is only allowed on a loopback host without a port, not ${input}`,
    };
  }
  return { pattern: { host, anyPort } };
}

/** Whether canonical `host` (from normalizeRegistryHost) is what `pattern` names. */
export function registryHostMatches(pattern: RegistryHostPattern, host: string): boolean {
  if (!pattern.anyPort) return host === pattern.host;
  return (
    host === pattern.host ||
    (host.startsWith(`${pattern.host}:`) && /^[0-9]+$/.test(host.slice(pattern.host.length + 1)))
  );
}

/**
 * The configured entry `host` falls under, or undefined for any other host (or for what is no host).
 * An entry naming the host exactly wins over a loopback port wildcard, whatever their order: policy,
 * credentials and profile must all come from the one entry meant for it.
 */
export function configuredRegistry<Entry extends { readonly host: string }>(
  entries: readonly Entry[],
  host: string,
): Entry | undefined {
  const canonical = normalizeRegistryHost(host);
  if (canonical === undefined) return undefined;
  let wildcard: Entry | undefined;
  for (const entry of entries) {
    const parsed = parseRegistryHostPattern(entry.host);
    if (!("pattern" in parsed) || !registryHostMatches(parsed.pattern, canonical)) continue;
    if (!parsed.pattern.anyPort) return entry;
    wildcard ??= entry;
  }
  return wildcard;
}

export function formatRegistryHostPattern(pattern: RegistryHostPattern): string {
  return pattern.anyPort ? `${pattern.host}:*` : pattern.host;
}

function hasPort(host: string): boolean {
  return /:[0-9]+$/.test(host);
}
