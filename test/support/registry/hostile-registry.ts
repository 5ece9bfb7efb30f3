// A registry of our own that misbehaves on purpose, chosen per repository: a small in-memory
// distribution-spec server on loopback (blobs, uploads, manifests by tag and digest, tags; no referrers
// API, so signatures go through the tag schema) that asks for credentials (Basic, or Bearer tokens from
// its own /token) and, for the repositories a test names, sends upload Locations, token realms and
// redirects to other origins, never answers, or acts and then drops its answer. Sentinels
// (`startSentinel`) stand at those other origins and count the connections they get: a test asserts
// zero. Nothing here listens beyond 127.0.0.1.
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { listenOnLoopback } from "../loopback-server.ts";

export type Misbehaviour =
  /** `POST …/blobs/uploads/` answers 202 with a `Location` on `elsewhere`. */
  | { readonly kind: "foreign-upload-location" }
  /** Every 401 names a token realm on `elsewhere`. */
  | { readonly kind: "foreign-token-realm" }
  /** Requests matching `method` and `path` (manifests, blobs) answer 307 to `elsewhere`, same path. */
  | { readonly kind: "redirect"; readonly method: string; readonly path: RegExp; readonly to?: string }
  /** Matching requests are read and then held: no answer, ever (until the server stops). */
  | { readonly kind: "never-answer"; readonly method?: string; readonly path?: RegExp }
  /** Matching requests are applied, then the connection is reset instead of answering. */
  | { readonly kind: "lost-after-acting"; readonly method?: string; readonly path?: RegExp };

export interface HostileRegistryOptions {
  readonly username: string;
  readonly password: string;
  /** `basic`: a Basic challenge; `bearer`: tokens from the registry's own `/token` (Basic to get one). */
  readonly auth: "basic" | "bearer";
  /** The origin misbehaving answers point at (a sentinel's). */
  readonly elsewhere: string;
  /** Misbehaviour by repository name (exact). */
  readonly misbehaviours: Readonly<Record<string, Misbehaviour>>;
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly repository: string | undefined;
  readonly authorization: string | undefined;
}

export interface HostileRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: SeenRequest[];
  /** Tokens the registry issued (secrets a test looks for in logs and answers). */
  readonly tokens: readonly string[];
  /** Stores a manifest (and nothing else: its blobs need not exist) under `tag` and its digest. */
  putManifest(repository: string, bytes: Uint8Array, mediaType: string, tag?: string): string;
  putBlob(bytes: Uint8Array): string;
  manifest(repository: string, reference: string): { bytes: Uint8Array; mediaType: string } | undefined;
  tags(repository: string): string[];
  stop(): Promise<void>;
}

interface StoredManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
}

const ROUTE = /^\/v2\/(.+?)\/(blobs\/uploads|blobs|manifests|tags|referrers)(?:\/([^?]*))?(?:\?.*)?$/;

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

export async function startHostileRegistry(options: HostileRegistryOptions): Promise<HostileRegistry> {
  const blobs = new Map<string, Uint8Array>();
  const manifests = new Map<string, Map<string, StoredManifest>>();
  const uploads = new Map<string, Uint8Array[]>();
  const requests: SeenRequest[] = [];
  const tokens: string[] = [];
  const held = new Set<ServerResponse>();
  const basic = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;
  let origin = "";

  const repo = (name: string) => {
    const stored = manifests.get(name) ?? new Map<string, StoredManifest>();
    manifests.set(name, stored);
    return stored;
  };
  const putManifest = (name: string, bytes: Uint8Array, mediaType: string, tag?: string) => {
    const digest = digestOf(bytes);
    repo(name).set(digest, { bytes, mediaType });
    if (tag !== undefined) repo(name).set(tag, { bytes, mediaType });
    return digest;
  };
  const putBlob = (bytes: Uint8Array) => {
    const digest = digestOf(bytes);
    blobs.set(digest, bytes);
    return digest;
  };

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization;
    if (options.auth === "basic") return header === basic;
    return header !== undefined && tokens.some((token) => header === `Bearer ${token}`);
  };
  const challenge = (name: string | undefined, misbehaviour: Misbehaviour | undefined): Answer => {
    const realm =
      misbehaviour?.kind === "foreign-token-realm" ? `${options.elsewhere}/token` : `${origin}/token`;
    const scope = name === undefined ? "" : `,scope="repository:${name}:pull,push"`;
    const header =
      options.auth === "basic"
        ? 'Basic realm="hostile"'
        : `Bearer realm="${realm}",service="hostile"${scope}`;
    return errorAnswer(401, "UNAUTHORIZED", { "www-authenticate": header });
  };

  const server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    const route = ROUTE.exec(path);
    const name = route?.[1];
    requests.push({
      method: req.method ?? "",
      path,
      repository: name,
      authorization: req.headers.authorization,
    });
    const misbehaviour = name === undefined ? undefined : options.misbehaviours[name];
    const body = await readBody(req);
    if (path.startsWith("/token")) {
      if (req.headers.authorization !== basic) return send(res, errorAnswer(401, "DENIED"));
      const token = `hostile-token-${randomUUID()}`;
      tokens.push(token);
      return send(res, jsonAnswer(200, { token, expires_in: 300 }));
    }
    if (!authorized(req)) return send(res, challenge(name, misbehaviour));
    const misbehaving = misbehaviour !== undefined && applies(misbehaviour, req) ? misbehaviour : undefined;
    if (misbehaving?.kind === "never-answer") {
      held.add(res);
      return;
    }
    if (misbehaving?.kind === "redirect") {
      return send(res, {
        status: 307,
        headers: { location: `${misbehaving.to ?? options.elsewhere}${path}` },
      });
    }
    let answer: Answer;
    if (path === "/v2/" || path === "/v2") answer = jsonAnswer(200, {});
    else if (route === null || name === undefined) answer = errorAnswer(404, "NAME_UNKNOWN");
    else answer = serve(req, name, route[2]!, route[3] ?? "", body, misbehaviour);
    // Acted on; the answer is lost.
    if (misbehaving?.kind === "lost-after-acting") req.socket.destroy();
    else send(res, answer);
  });

  const serve = (
    req: IncomingMessage,
    name: string,
    kind: string,
    rest: string,
    body: Buffer,
    misbehaviour: Misbehaviour | undefined,
  ): Answer => {
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";
    const head = method === "HEAD";
    if (kind === "tags") return jsonAnswer(200, { name, tags: tagsOf(name) });
    if (kind === "referrers") return errorAnswer(404, "UNSUPPORTED");
    if (kind === "blobs") {
      const blob = blobs.get(rest);
      if (blob === undefined) return errorAnswer(404, "BLOB_UNKNOWN");
      return { status: 200, headers: { "docker-content-digest": rest }, body: blob, head };
    }
    if (kind === "blobs/uploads") return upload(url, method, name, rest, body, misbehaviour);
    if (method === "PUT") {
      const mediaType = req.headers["content-type"] ?? "application/vnd.oci.image.manifest.v1+json";
      const digest = putManifest(name, body, mediaType, rest.startsWith("sha256:") ? undefined : rest);
      return {
        status: 201,
        headers: { location: `/v2/${name}/manifests/${digest}`, "docker-content-digest": digest },
      };
    }
    if (method === "DELETE") {
      repo(name).delete(rest);
      return { status: 202, headers: {} };
    }
    const stored = repo(name).get(rest);
    if (stored === undefined) return errorAnswer(404, "MANIFEST_UNKNOWN");
    return {
      status: 200,
      headers: { "content-type": stored.mediaType, "docker-content-digest": digestOf(stored.bytes) },
      body: stored.bytes,
      head,
    };
  };

  const upload = (
    url: URL,
    method: string,
    name: string,
    id: string,
    body: Buffer,
    misbehaviour: Misbehaviour | undefined,
  ): Answer => {
    if (method === "POST") {
      const digest = url.searchParams.get("digest");
      // A registry that sends sessions elsewhere never completes a monolithic POST itself.
      if (digest !== null && body.length > 0 && misbehaviour?.kind !== "foreign-upload-location") {
        if (digestOf(body) !== digest) return errorAnswer(400, "DIGEST_INVALID");
        blobs.set(digest, body);
        return {
          status: 201,
          headers: { location: `/v2/${name}/blobs/${digest}`, "docker-content-digest": digest },
        };
      }
      const session = randomUUID();
      uploads.set(session, []);
      const path = `/v2/${name}/blobs/uploads/${session}`;
      const location =
        misbehaviour?.kind === "foreign-upload-location" ? `${options.elsewhere}${path}` : path;
      return { status: 202, headers: { location, range: "0-0", "docker-upload-uuid": session } };
    }
    const parts = uploads.get(id);
    if (parts === undefined) return errorAnswer(404, "BLOB_UPLOAD_UNKNOWN");
    if (method === "DELETE") {
      uploads.delete(id);
      return { status: 204, headers: {} };
    }
    parts.push(body);
    if (method === "PATCH") {
      const size = parts.reduce((n, p) => n + p.length, 0);
      return {
        status: 202,
        headers: { location: `/v2/${name}/blobs/uploads/${id}`, range: `0-${size - 1}` },
      };
    }
    const bytes = Buffer.concat(parts);
    const digest = url.searchParams.get("digest") ?? "";
    if (digestOf(bytes) !== digest) return errorAnswer(400, "DIGEST_INVALID");
    uploads.delete(id);
    blobs.set(digest, bytes);
    return {
      status: 201,
      headers: { location: `/v2/${name}/blobs/${digest}`, "docker-content-digest": digest },
    };
  };

  const tagsOf = (name: string) =>
    [...(manifests.get(name)?.keys() ?? [])].filter((k) => !k.startsWith("sha256:"));

  const port = await listenOnLoopback(server);
  origin = `http://127.0.0.1:${port}`;
  return {
    host: `127.0.0.1:${port}`,
    url: origin,
    requests,
    tokens,
    putManifest,
    putBlob,
    manifest: (name, reference) => manifests.get(name)?.get(reference),
    tags: tagsOf,
    stop: () =>
      new Promise((resolve) => {
        for (const res of held) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function applies(misbehaviour: Misbehaviour, req: IncomingMessage): boolean {
  if (misbehaviour.kind === "foreign-upload-location" || misbehaviour.kind === "foreign-token-realm")
    return false;
  const method = "method" in misbehaviour ? misbehaviour.method : undefined;
  const path = "path" in misbehaviour ? misbehaviour.path : undefined;
  return (method === undefined || method === req.method) && (path === undefined || path.test(req.url ?? ""));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** What the registry answers, decided before it is (or is not) sent. */
interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** A HEAD: Content-Length of the body, no body. */
  readonly head?: boolean;
}

function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

function errorAnswer(status: number, code: string, headers: Record<string, string> = {}): Answer {
  return jsonAnswer(status, { errors: [{ code, message: code.toLowerCase() }] }, headers);
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body?.length ?? 0) });
  res.end(answer.head ? undefined : answer.body);
}

/**
 * An image manifest no other test pushes (a random nonce annotation), for `putManifest`: the registry
 * keeps manifests as given, so its config needs no blob.
 */
export function uniqueImageManifest(): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: `sha256:${"0".repeat(64)}`,
        size: 2,
      },
      layers: [],
      annotations: { nonce: randomUUID() },
    }),
  );
}

/** A loopback port that must never be reached: it counts connections (and what they sent). */
export interface Sentinel {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly host: string;
  readonly connections: number;
  /** The first bytes each connection sent (request lines and headers). */
  readonly received: readonly string[];
  stop(): Promise<void>;
}

export async function startSentinel(): Promise<Sentinel> {
  const received: string[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    let first = "";
    socket.on("data", (chunk: Buffer) => {
      if (first.length < 4096) first += chunk.toString("latin1");
    });
    socket.on("close", () => {
      sockets.delete(socket);
      received.push(first);
    });
    // Answer nothing useful: a client that got here has already sent what it should not have.
    socket.end("HTTP/1.1 418 I'm a teapot\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    received,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
