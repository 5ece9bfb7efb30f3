// The registry client against a hostile registry (test/support/registry/hostile-registry.ts): upload
// Locations, token realms and redirects pointing at other origins, where sentinels count connections.
// Credentials go to the registry's origin and nowhere else; a blob download may follow a redirect to a
// storage host the configuration allows, without credentials (issue 13, items 1 and 2).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { AuthenticationError, CrossOriginError } from "../../lib/oci/errors.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { listenOnLoopback } from "../support/loopback-server.ts";
import { bytesDescriptor } from "../support/registry/content.ts";
import {
  type HostileRegistry,
  type Sentinel,
  startHostileRegistry,
  startSentinel,
  uniqueImageManifest,
} from "../support/registry/hostile-registry.ts";

const USER = "countersign";
const PASSWORD = "hostile-registry-password-0123";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

let sentinel: Sentinel;
let basic: HostileRegistry;
let bearer: HostileRegistry;
let storage: { server: Server; host: string; seen: IncomingHttpHeaders[] };

/** A storage host on loopback that serves any blob the basic registry holds, by digest. */
async function startStorage() {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const digest = /\/blobs\/(sha256:[0-9a-f]{64})/.exec(req.url ?? "")?.[1] ?? "";
    const stored = blobStore.get(digest);
    res.writeHead(stored === undefined ? 404 : 200, { "content-length": String(stored?.length ?? 0) });
    res.end(stored);
  });
  const port = await listenOnLoopback(server);
  return { server, host: `127.0.0.1:${port}`, seen };
}
const blobStore = new Map<string, Uint8Array>();

function client(registry: HostileRegistry, options: { storageHosts?: string[] } = {}) {
  return new RegistryClient(registry.host, {
    credentials: { username: USER, password: PASSWORD },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

async function blob(registry: HostileRegistry): Promise<{ bytes: Uint8Array; descriptor: Descriptor }> {
  const bytes = crypto.getRandomValues(new Uint8Array(600));
  registry.putBlob(bytes);
  blobStore.set((await bytesDescriptor(bytes, "application/octet-stream")).digest, bytes);
  return { bytes, descriptor: await bytesDescriptor(bytes, "application/octet-stream") };
}

/** The error `work` fails with; the test fails if it does not. */
async function failure(work: Promise<unknown>): Promise<Error> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "expected a failure").toBeInstanceOf(Error);
  return error as Error;
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(BASIC.slice("Basic ".length));
  for (const token of bearer.tokens) expect(text).not.toContain(token);
}

beforeAll(async () => {
  sentinel = await startSentinel();
  storage = await startStorage();
  const misbehaviours = {
    "evil/upload": { kind: "foreign-upload-location" },
    "evil/realm": { kind: "foreign-token-realm" },
    "evil/manifest-get": { kind: "redirect", method: "GET", path: /\/manifests\// },
    "evil/manifest-put": { kind: "redirect", method: "PUT", path: /\/manifests\// },
    "evil/blob-get": { kind: "redirect", method: "GET", path: /\/blobs\/sha256/ },
  } as const;
  basic = await startHostileRegistry({
    username: USER,
    password: PASSWORD,
    auth: "basic",
    elsewhere: sentinel.origin,
    misbehaviours: {
      ...misbehaviours,
      "cdn/blob-get": {
        kind: "redirect",
        method: "GET",
        path: /\/blobs\/sha256/,
        to: `http://${storage.host}`,
      },
    },
  });
  bearer = await startHostileRegistry({
    username: USER,
    password: PASSWORD,
    auth: "bearer",
    elsewhere: sentinel.origin,
    misbehaviours,
  });
});

afterAll(async () => {
  await basic?.stop();
  await bearer?.stop();
  await sentinel?.stop();
  await new Promise((resolve) => storage?.server.close(resolve));
});

beforeEach(() => {
  expect(sentinel.connections).toBe(0);
});

describe("credentials stay on the registry's origin", () => {
  it("an upload Location on another origin is refused, naming it: no PUT, no DELETE, no password there", async () => {
    for (const registry of [basic, bearer]) {
      const { bytes, descriptor } = await blob(registry);
      const error = await failure(
        client(registry).repository("evil/upload").pushBlob(descriptor, bytes, { knownAbsent: true }),
      );
      expect(error).toBeInstanceOf(CrossOriginError);
      expect(error.message).toContain(`the upload Location points at ${sentinel.origin}`);
      expectNoSecret(`${error.message} ${JSON.stringify(error)}`);
    }
    expect(sentinel.connections).toBe(0);
  });

  it("a token realm on another host gets no request, and does not poison the registry's other repositories", async () => {
    const shared = client(bearer);
    for (let round = 0; round < 2; round++) {
      const error = await failure(shared.repository("evil/realm").fetchManifest("v1"));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toContain(`refusing token realm on another host, ${sentinel.origin}`);
      expectNoSecret(error.message);
      // The same client, another repository: its own realm, a token, the manifest.
      const digest = bearer.putManifest("team/app", uniqueImageManifest(), MANIFEST, "v1");
      expect((await shared.repository("team/app").fetchManifest("v1")).descriptor.digest).toBe(digest);
    }
    expect(sentinel.connections).toBe(0);
    // Every Bearer token the registry saw came from its own realm.
    const presented = bearer.requests.filter((r) => r.authorization?.startsWith("Bearer "));
    expect(presented.length).toBeGreaterThan(0);
    for (const r of presented) expect(bearer.tokens).toContain(r.authorization!.slice("Bearer ".length));
  });

  it("a manifest GET or PUT redirected to another origin is not followed", async () => {
    for (const registry of [basic, bearer]) {
      registry.putManifest("evil/manifest-get", uniqueImageManifest(), MANIFEST, "v1");
      const get = await failure(client(registry).repository("evil/manifest-get").fetchManifest("v1"));
      expect(get).toBeInstanceOf(CrossOriginError);
      expect(get.message).toMatch(/^manifest\.get: a redirect points at http:\/\/127\.0\.0\.1:\d+/);
      const put = await failure(
        client(registry).repository("evil/manifest-put").pushManifest(uniqueImageManifest(), MANIFEST, "v1"),
      );
      expect(put).toBeInstanceOf(CrossOriginError);
      expect(put.message).toContain(sentinel.origin);
      expect(registry.tags("evil/manifest-put")).toEqual([]);
    }
    expect(sentinel.connections).toBe(0);
  });

  it("a blob GET redirected to a loopback host the configuration does not name is refused", async () => {
    const { descriptor } = await blob(basic);
    const error = await failure(client(basic).repository("evil/blob-get").fetchBlobBytes(descriptor));
    expect(error).toBeInstanceOf(CrossOriginError);
    expect(error.message).toContain(
      "a loopback, link-local or private address the configuration does not allow",
    );
    expect(sentinel.connections).toBe(0);
  });

  it("a blob GET may follow a redirect to a storage host the configuration names, without credentials", async () => {
    storage.seen.length = 0;
    const { bytes, descriptor } = await blob(basic);
    const repository = client(basic, { storageHosts: [storage.host] }).repository("cdn/blob-get");
    expect(await repository.fetchBlobBytes(descriptor)).toEqual(bytes);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]?.authorization).toBeUndefined();
    // The registry itself got the credentials.
    const asked = basic.requests.filter((r) => r.repository === "cdn/blob-get" && r.method === "GET");
    expect(asked.at(-1)?.authorization).toBe(BASIC);
  });
});
