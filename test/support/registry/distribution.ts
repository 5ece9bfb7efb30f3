// Starts a real CNCF distribution registry (`docker-registry`, distribution 2.8 on Debian) on a free
// loopback port in a temporary directory, for integration tests. One per test file (beforeAll).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { stringify } from "yaml";

export const INSTALL_HINT = "apt-get install -y docker-registry skopeo umoci";

export interface HtpasswdAuth {
  readonly kind: "htpasswd";
  readonly users: Readonly<Record<string, string>>;
}

export interface TokenAuth {
  readonly kind: "token";
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM certificate(s) of the token signing key. */
  readonly rootCertBundle: string;
}

export interface NotificationEndpoint {
  readonly name?: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, readonly string[]>>;
  /** Go duration: `1s`, `500ms`. */
  readonly timeout?: string;
  readonly threshold?: number;
  readonly backoff?: string;
  readonly ignoredmediatypes?: readonly string[];
}

/**
 * The endpoint the end-to-end tests point distribution at: Countersign's webhook with a bearer token,
 * retried quickly (2 s timeout, 3 failures, 200 ms backoff), blob pushes filtered out.
 */
export function countersignWebhook(url: string, token: string): NotificationEndpoint {
  return {
    url,
    headers: { Authorization: [`Bearer ${token}`] },
    timeout: "2s",
    threshold: 3,
    backoff: "200ms",
    ignoredmediatypes: ["application/octet-stream"],
  };
}

export interface StartRegistryOptions {
  readonly auth?: HtpasswdAuth | TokenAuth;
  readonly notifications?: readonly NotificationEndpoint[];
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Temporary directory holding config and storage. */
  readonly dir: string;
  /** What the registry printed (for failure messages). */
  readonly logs: () => string;
  stop(): Promise<void>;
}

export function requireBinary(name: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  if (found.status !== 0 || path.length === 0) throw new Error(`${name} not found: ${INSTALL_HINT}`);
  return path;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const binary = (() => {
    try {
      return requireBinary("docker-registry");
    } catch {
      throw new Error(`docker-registry not found: ${INSTALL_HINT}`);
    }
  })();
  const dir = await mkdtemp(join(tmpdir(), "countersign-registry-"));
  let lastError: unknown;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const configPath = await writeConfig(dir, port, options);
    try {
      return await launch(binary, dir, port, configPath);
    } catch (error) {
      lastError = error;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

async function writeConfig(dir: string, port: number, options: StartRegistryOptions): Promise<string> {
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: "warn", accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, "storage") },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: "countersign-test-secret" },
  };
  if (options.auth?.kind === "htpasswd") {
    const lines = Object.entries(options.auth.users).map(
      ([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`,
    );
    const path = join(dir, "htpasswd");
    await writeFile(path, `${lines.join("\n")}\n`, { mode: 0o600 });
    config.auth = { htpasswd: { realm: "countersign-test", path } };
  } else if (options.auth?.kind === "token") {
    const bundle = join(dir, "token-root.pem");
    await writeFile(bundle, options.auth.rootCertBundle);
    config.auth = {
      token: {
        realm: options.auth.realm,
        service: options.auth.service,
        issuer: options.auth.issuer,
        rootcertbundle: bundle,
      },
    };
  }
  if (options.notifications !== undefined) {
    config.notifications = {
      endpoints: options.notifications.map((endpoint, i) => ({
        name: endpoint.name ?? `endpoint-${i}`,
        url: endpoint.url,
        headers: endpoint.headers ?? {},
        timeout: endpoint.timeout ?? "2s",
        threshold: endpoint.threshold ?? 5,
        backoff: endpoint.backoff ?? "1s",
        ...(endpoint.ignoredmediatypes !== undefined && { ignoredmediatypes: endpoint.ignoredmediatypes }),
      })),
    };
  }
  const path = join(dir, "config.yml");
  await writeFile(path, stringify(config));
  return path;
}

async function launch(
  binary: string,
  dir: string,
  port: number,
  configPath: string,
): Promise<RunningRegistry> {
  const child = spawn(binary, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-64 * 1024);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(child, url, () => output);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  let stopped = false;
  return {
    host: `127.0.0.1:${port}`,
    url,
    dir,
    logs: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilServing(child: ChildProcess, url: string, logs: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${logs()}`);
    try {
      const response = await fetch(`${url}/v2/`);
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not answer on ${url} within 15 s: ${logs()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
