// The fetch that lib/oci gets on Node: undici's fetch over one shared Agent, so connections to a
// registry are kept alive and reused (one TLS handshake per connection, not per request), with a bound
// on connections per origin so a copy of many blobs cannot open hundreds of sockets.
import { Agent, fetch as undiciFetch } from "undici";

export interface NodeFetchOptions {
  /** Connections per origin (registry host). Default 16. */
  readonly connectionsPerOrigin?: number;
  /** Idle keep-alive before a pooled connection is closed. Default 30 s. */
  readonly keepAliveTimeoutMs?: number;
  /** Connect timeout. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

export interface PooledFetch {
  readonly fetch: typeof fetch;
  /** Closes the pool's connections (end of a CLI run, a test's afterAll). */
  close(): Promise<void>;
}

export function createPooledFetch(options: NodeFetchOptions = {}): PooledFetch {
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs ?? 30_000, 60_000),
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    // Header and body timeouts are the registry client's business (per attempt, with retries).
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const pooled = ((input: RequestInfo | URL, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    })) as unknown as typeof fetch;
  return { fetch: pooled, close: () => agent.close() };
}
