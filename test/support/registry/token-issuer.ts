// A Docker token-auth server for tests (distribution docs "Token Authentication Specification"): a
// loopback HTTP server issuing ES256 JWTs signed with jose. distribution 2.8 (registry/auth/token/
// token.go, VerifySigningKey) finds the signing key from the token header: `x5c` (a chain verified
// against `rootcertbundle`), `jwk`, or a libtrust `kid`. This issuer sends `x5c` with its self-signed
// certificate (made by openssl), and the same certificate is the registry's root bundle.

import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { importPKCS8, SignJWT } from "jose";
import { listenOnLoopback } from "../loopback-server.ts";

export interface TokenIssuerOptions {
  /** username → password accepted with Basic on the token endpoint. */
  readonly users: Readonly<Record<string, string>>;
  /** refresh token → username, for the OAuth2 `grant_type=refresh_token` POST. */
  readonly refreshTokens?: Readonly<Record<string, string>>;
  /** Actions anonymous callers get (default none: anonymous gets a token with no access). */
  readonly anonymousActions?: readonly string[];
  readonly service?: string;
  readonly issuer?: string;
  readonly lifetimeSeconds?: number;
}

export interface TokenRequestRecord {
  readonly method: string;
  readonly account: string | undefined;
  readonly scopes: readonly string[];
  readonly status: number;
}

export interface RunningTokenIssuer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM certificate of the signing key: the registry's `rootcertbundle`. */
  readonly certificatePem: string;
  readonly requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<RunningTokenIssuer> {
  const service = options.service ?? "countersign-test-registry";
  const issuer = options.issuer ?? "countersign-test-issuer";
  const { privateKey, certificatePem, certificateDer } = await signingCertificate();
  const x5c = certificateDer.toString("base64");
  const requests: TokenRequestRecord[] = [];

  const issue = async (account: string | undefined, scopes: readonly string[]) => {
    const access: Access[] = [];
    for (const scope of scopes) {
      const [type, name, actions] = splitScope(scope);
      if (type === undefined || name === undefined) continue;
      const wanted = (actions ?? "").split(",").filter((a) => a.length > 0);
      const granted =
        account === undefined ? wanted.filter((a) => options.anonymousActions?.includes(a)) : wanted;
      if (granted.length > 0) access.push({ type, name, actions: granted });
    }
    const now = Math.floor(Date.now() / 1000);
    const lifetime = options.lifetimeSeconds ?? 300;
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", x5c: [x5c] })
      .setIssuer(issuer)
      .setSubject(account ?? "")
      .setAudience(service)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + lifetime)
      .setJti(randomUUID())
      .sign(privateKey);
    return {
      token,
      access_token: token,
      expires_in: lifetime,
      issued_at: new Date(now * 1000).toISOString(),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const record = (status: number, account: string | undefined, scopes: string[]) =>
      requests.push({ method: req.method ?? "", account, scopes, status });
    if (url.pathname !== "/token") return send(res, 404, { error: "not found" });
    if (req.method === "POST") {
      const form = new URLSearchParams(await readBody(req));
      const scopes = (form.get("scope") ?? "").split(" ").filter((s) => s.length > 0);
      const account = options.refreshTokens?.[form.get("refresh_token") ?? ""];
      if (form.get("grant_type") !== "refresh_token" || account === undefined) {
        record(401, undefined, scopes);
        return send(res, 401, { error: "invalid_grant" });
      }
      if (form.get("service") !== service) {
        record(400, account, scopes);
        return send(res, 400, { error: "invalid service" });
      }
      record(200, account, scopes);
      return send(res, 200, await issue(account, scopes));
    }
    const scopes = url.searchParams.getAll("scope");
    if (url.searchParams.get("service") !== service) {
      record(400, undefined, scopes);
      return send(res, 400, { error: "invalid service" });
    }
    const basic = parseBasic(req.headers.authorization);
    if (basic !== undefined && options.users[basic.username] !== basic.password) {
      record(401, basic.username, scopes);
      return send(res, 401, { error: "bad credentials" });
    }
    record(200, basic?.username, scopes);
    return send(res, 200, await issue(basic?.username, scopes));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: "issuer failed" }));
  });
  const port = await listenOnLoopback(server);
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificatePem,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A P-256 key and its self-signed certificate, made by openssl (which the tests already require). */
async function signingCertificate() {
  const dir = await mkdtemp(join(tmpdir(), "countersign-token-issuer-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    await promisify(execFile)("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=countersign test token issuer",
    ]);
    const certificatePem = await readFile(cert, "utf8");
    const privateKey = await importPKCS8(await readFile(key, "utf8"), "ES256");
    const base64 = certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    return { privateKey, certificatePem, certificateDer: Buffer.from(base64, "base64") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `repository:team/app:pull,push`; the name may itself contain `:` (a registry with a port). */
function splitScope(scope: string): [string?, string?, string?] {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first === -1 || last === first) return [];
  return [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  if (header === undefined || !header.startsWith("Basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
