// A loopback HTTP proxy in front of a registry that injects faults on chosen requests: answer with a
// status (429 with Retry-After, 503) instead of forwarding, reset the connection before forwarding,
// cut the connection after N body bytes, or flip one byte of the body; and faults after the registry
// has acted: forward the request, let the registry apply it, then lose the answer (reset) or replace it
// with an error status. Faults are injected by rule or at random (`chaos`). Headers, Host included,
// pass through unchanged, so the registry's Location headers point back at the proxy.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { listenOnLoopback } from "../loopback-server.ts";

export interface RequestMatch {
  readonly method?: string;
  /** Tested against the path with query. */
  readonly path?: RegExp;
}

export type Fault =
  | {
      readonly kind: "status";
      readonly status: number;
      readonly retryAfter?: string;
      /** The OCI error code in the body. Default TOOMANYREQUESTS. */
      readonly code?: string;
    }
  /** The connection is reset before anything reaches the registry. */
  | { readonly kind: "reset" }
  | { readonly kind: "cut"; readonly afterBytes: number }
  | { readonly kind: "corrupt" }
  /** The registry receives and applies the request; its answer is lost (the connection is reset). */
  | { readonly kind: "lost" }
  /** The registry applies the request; the client gets `status` instead of the registry's answer. */
  | { readonly kind: "status-after"; readonly status: number };

/** Random faults: each request that matches gets one of `faults` with probability `rate`. */
export interface Chaos {
  readonly rate: number;
  readonly faults: readonly Fault[];
  readonly match?: RequestMatch;
  /** Deterministic runs: a seed for the generator (mulberry32). */
  readonly seed?: number;
}

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  /** The fault applied, if any. */
  readonly fault?: Fault["kind"];
  readonly status?: number;
}

export interface FaultProxy {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Applies `fault` to the next `times` requests that match. */
  inject(fault: Fault, times: number, match?: RequestMatch): void;
  /** Random faults on every matching request from now on (rules injected with `inject` go first). */
  chaos(chaos: Chaos | undefined): void;
  /**
   * Paginate tag lists as the distribution-spec describes (sorted, `n`, `last`, `Link: rel="next"`):
   * distribution 2.8 ignores `n` and `last` on tags/list, so this stands in for registries that page.
   */
  paginateTags(enabled: boolean): void;
  clear(): void;
  stop(): Promise<void>;
}

interface Rule {
  readonly fault: Fault;
  remaining: number;
  readonly match: RequestMatch;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const rules: Rule[] = [];
  const requests: ProxiedRequest[] = [];
  let paginate = false;
  let random: { readonly chaos: Chaos; readonly next: () => number } | undefined;

  const matches = (match: RequestMatch, req: IncomingMessage) =>
    (match.method === undefined || match.method === req.method) &&
    (match.path === undefined || match.path.test(req.url ?? ""));
  const takeFault = (req: IncomingMessage): Fault | undefined => {
    const rule = rules.find((r) => r.remaining > 0 && matches(r.match, req));
    if (rule !== undefined) {
      rule.remaining--;
      return rule.fault;
    }
    if (random === undefined || !matches(random.chaos.match ?? {}, req)) return undefined;
    if (random.next() >= random.chaos.rate) return undefined;
    const { faults } = random.chaos;
    return faults[Math.floor(random.next() * faults.length)];
  };

  const server = createServer((req, res) => {
    const fault = takeFault(req);
    const record = (status?: number) =>
      requests.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        ...(fault && { fault: fault.kind }),
        ...(status !== undefined && { status }),
      });
    if (fault?.kind === "status") {
      req.resume();
      record(fault.status);
      res.writeHead(fault.status, {
        "content-type": "application/json",
        ...(fault.retryAfter !== undefined && { "retry-after": fault.retryAfter }),
      });
      const code = fault.code ?? "TOOMANYREQUESTS";
      res.end(JSON.stringify({ errors: [{ code, message: "injected fault" }] }));
      return;
    }
    if (fault?.kind === "reset") {
      record();
      req.socket.destroy();
      return;
    }
    if (paginate && req.method === "GET" && TAGS_LIST.test(req.url ?? "")) {
      record();
      paginateTags(target, req, res);
      return;
    }
    forward(target, req, res, fault, record);
  });
  const port = await listenOnLoopback(server);
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    inject(fault, times, match = {}) {
      rules.push({ fault, remaining: times, match });
    },
    chaos(chaos) {
      random = chaos === undefined ? undefined : { chaos, next: mulberry32(chaos.seed ?? Date.now()) };
    },
    paginateTags(enabled) {
      paginate = enabled;
    },
    clear() {
      rules.length = 0;
      requests.length = 0;
      random = undefined;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const TAGS_LIST = /^\/v2\/(.+)\/tags\/list(\?.*)?$/;

/** Fetches the whole list upstream, then serves the page `n` after `last` with a next link. */
function paginateTags(target: URL, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://proxy");
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: "GET", path: url.pathname, headers: req.headers },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        if (answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(chunks));
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          name: string;
          tags: string[] | null;
        };
        const all = [...(body.tags ?? [])].sort();
        const last = url.searchParams.get("last");
        const after = last === null ? all : all.filter((tag) => tag > last);
        const n = url.searchParams.has("n") ? Number(url.searchParams.get("n")) : after.length;
        const page = after.slice(0, n);
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (page.length > 0 && after.length > page.length) {
          const next = new URLSearchParams({ n: String(n), last: page[page.length - 1]! });
          headers.link = `<${url.pathname}?${next}>; rel="next"`;
        }
        res.writeHead(200, headers);
        res.end(JSON.stringify({ name: body.name, tags: page }));
      });
    },
  );
  upstream.on("error", () => {
    res.writeHead(502);
    res.end();
  });
  upstream.end();
}

function forward(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  fault: Fault | undefined,
  record: (status?: number) => void,
): void {
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      record(answer.statusCode);
      if (fault?.kind === "cut") return cutAfter(answer, res, req.socket, fault.afterBytes);
      if (fault?.kind === "corrupt") return corrupt(answer, res);
      if (fault?.kind === "lost" || fault?.kind === "status-after") {
        // Read the registry's whole answer first: by then it has applied the request.
        answer.resume();
        answer.on("end", () => {
          if (fault.kind === "lost") {
            req.socket.destroy();
            return;
          }
          res.writeHead(fault.status, { "content-type": "application/json" });
          res.end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: "injected fault after acting" }] }));
        });
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

/** Sends the headers (full Content-Length) and `limit` bytes of body, then drops the connection. */
function cutAfter(answer: IncomingMessage, res: ServerResponse, socket: Socket, limit: number): void {
  res.writeHead(answer.statusCode ?? 502, answer.headers);
  let sent = 0;
  answer.on("data", (chunk: Buffer) => {
    if (sent >= limit) return;
    const part = chunk.subarray(0, limit - sent);
    sent += part.length;
    res.write(part);
    if (sent >= limit) {
      answer.destroy();
      // Let the written bytes reach the client before the reset.
      setTimeout(() => socket.destroy(), 20);
    }
  });
  answer.on("end", () => res.end());
}

/** Changes one hexadecimal digit (so JSON stays valid and only the hash notices). */
function corrupt(answer: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  answer.on("data", (chunk: Buffer) => chunks.push(chunk));
  answer.on("end", () => {
    const body = Buffer.concat(chunks);
    const text = body.toString("latin1");
    const at = text.search(/sha256:[0-9a-f]/);
    const index = at === -1 ? Math.floor(body.length / 2) : at + 7;
    if (body.length > 0) body[index] = body[index] === 0x30 ? 0x31 : 0x30;
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    res.end(body);
  });
}

/** A small seeded generator (mulberry32), so a chaos run can be repeated. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
