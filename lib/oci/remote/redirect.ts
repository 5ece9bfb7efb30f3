// Where a registry may send us. Requests that carry the registry's credentials (manifests, uploads,
// tags, referrers) and token requests follow a redirect on their own origin only. A blob GET may leave
// for a storage host (registries hand blobs to CDNs and object stores with signed URLs), but then
// without credentials, never from HTTPS down to HTTP, and never to a loopback, link-local or private
// address unless the configuration names that host: a registry must not aim us at the machine we run
// on or its neighbours (cloud metadata at 169.254.169.254, admin ports on localhost).
import { CrossOriginError } from "../errors.ts";

/** `same-origin`: the default for every request; `storage`: blob downloads. */
export type RedirectPolicy = "same-origin" | "storage";

/** RFC 9110 §15.4: the redirections that carry a `Location` to follow. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export const MAX_REDIRECTS = 5;

export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

export interface RedirectCheck {
  readonly operation: string;
  readonly policy: RedirectPolicy;
  /** The origin of the request's first URL (the registry's, or the token realm's). */
  readonly origin: string;
  /** Hosts (`host[:port]`) on private addresses the configuration allows as storage hosts. */
  readonly allowedPrivateHosts: readonly string[];
}

/**
 * Resolves `location` against `from` and checks it: throws CrossOriginError when it may not be
 * followed. Returns the next URL and whether it stays on the first origin (credentials go along
 * only then).
 */
export function checkRedirect(
  check: RedirectCheck,
  from: string,
  location: string,
): { readonly url: URL; readonly sameOrigin: boolean } {
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    throw new CrossOriginError(check.operation, "a redirect", "something", check.origin, "not a URL");
  }
  if (url.origin === check.origin) return { url, sameOrigin: true };
  const refuse = (reason?: string) =>
    new CrossOriginError(check.operation, "a redirect", url.origin, check.origin, reason);
  if (check.policy !== "storage") throw refuse();
  if (url.protocol !== "https:" && url.protocol !== "http:") throw refuse("not HTTP");
  if (url.protocol === "http:" && new URL(from).protocol === "https:") throw refuse("HTTPS to HTTP");
  if (isPrivateHost(url.hostname) && !check.allowedPrivateHosts.some((h) => sameHost(h, url))) {
    throw refuse("a loopback, link-local or private address the configuration does not allow");
  }
  return { url, sameOrigin: false };
}

function sameHost(configured: string, url: URL): boolean {
  try {
    return new URL(`${url.protocol}//${configured}`).host === url.host;
  } catch {
    return false;
  }
}

/**
 * Host names that reach this machine or a private network, as written in a URL (the WHATWG parser
 * has already turned `0x7f.1` or `2130706433` into `127.0.0.1`). A public name that resolves to a
 * private address is not caught here: lib/ has no resolver (see the Node fetch for connection pinning).
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  // Single-label names and these suffixes only resolve inside a network (RFC 6762, RFC 8375, and
  // `metadata.google.internal`).
  if (!host.includes(".") && !host.startsWith("[")) return true;
  if (/\.(internal|local|home\.arpa|lan|intranet)$/.test(host)) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4 !== null) return isPrivateIpv4(v4.slice(1).map(Number));
  if (host.startsWith("[")) return isPrivateIpv6(host.slice(1, -1));
  return false;
}

function isPrivateIpv4([a, b]: number[]): boolean {
  if (a === undefined || b === undefined) return true;
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // shared address space (CGNAT)
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast and reserved
  );
}

function isPrivateIpv6(address: string): boolean {
  if (address === "::" || address === "::1") return true;
  // IPv4-mapped (`::ffff:127.0.0.1`, which the URL parser writes as `::ffff:7f00:1`).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped !== null) {
    const high = Number.parseInt(mapped[1]!, 16);
    const low = Number.parseInt(mapped[2]!, 16);
    return isPrivateIpv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  }
  const first = Number.parseInt(address.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 // multicast
  );
}
