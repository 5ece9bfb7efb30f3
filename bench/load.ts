// How the benchmarks drive and count load: a bounded pool of workers, and a fetch that counts every
// request whoever sends it, the same wrapper for Countersign and for the plain-fetch baselines; and a
// counting proxy for processes that are not ours.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export function countingFetch(): { fetch: typeof fetch; count: () => number; reset: () => void } {
  let requests = 0;
  return {
    fetch: (input, init) => {
      requests++;
      return fetch(input, init);
    },
    count: () => requests,
    reset: () => {
      requests = 0;
    },
  };
}

export interface RequestWindow {
  requests: number;
  /** When the first request arrived. */
  first: number;
  /** When the last answer ended. */
  last: number;
  /** When the last answer to a write (PUT, POST, PATCH, DELETE) ended. */
  lastWrite: number;
}

/**
 * A loopback HTTP proxy in front of a registry that counts what passes through it, whoever the client:
 * registry requests of a peer binary are counted the same way as ours.
 */
export async function countingProxy(
  target: string,
): Promise<{ host: string; window: () => RequestWindow; reset: () => void; close: () => Promise<void> }> {
  let window: RequestWindow = { requests: 0, first: 0, last: 0, lastWrite: 0 };
  const [targetHost, targetPort] = target.split(":");
  const server: Server = createServer((req, res) => {
    const now = performance.now();
    if (window.requests === 0) window.first = now;
    window.requests++;
    const upstream = httpRequest(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (answer: IncomingMessage) => {
        const headers = { ...answer.headers };
        // Registries answer with absolute upload URLs built from the Host they were asked on (ours);
        // should one name itself, keep the client on the proxy.
        if (typeof headers.location === "string")
          headers.location = headers.location.replace(target, proxyHost);
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
        const write = req.method !== "GET" && req.method !== "HEAD";
        answer.on("end", () => {
          window.last = performance.now();
          if (write) window.lastWrite = window.last;
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxyHost = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: proxyHost,
    window: () => ({ ...window }),
    reset: () => {
      window = { requests: 0, first: 0, last: 0, lastWrite: 0 };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
