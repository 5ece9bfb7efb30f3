// Docker talks plain HTTP to loopback registries by default (daemon `insecure-registries` includes
// 127.0.0.0/8); Countersign does the same and nothing else without explicit configuration.

/** `host` or `host:port`, IPv6 in brackets. */
export function isLoopbackHost(hostWithPort: string): boolean {
  const host = stripPort(hostWithPort).toLowerCase();
  if (host === "localhost" || host === "[::1]" || host === "::1") return true;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets[1] === "127" && octets.slice(1).every((o) => Number(o) <= 255);
}

function stripPort(hostWithPort: string): string {
  if (hostWithPort.startsWith("[")) {
    const end = hostWithPort.indexOf("]");
    return end === -1 ? hostWithPort : hostWithPort.slice(0, end + 1);
  }
  const colon = hostWithPort.lastIndexOf(":");
  return colon === -1 || hostWithPort.indexOf(":") !== colon ? hostWithPort : hostWithPort.slice(0, colon);
}
