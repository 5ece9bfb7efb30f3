// The token flow against distribution 2.8 in `auth: token` mode, with an issuer run by the test
// (ES256 JWTs signed with jose, `x5c` verified against the registry's root certificate bundle). The
// issuer listens on another port, so the client names it as a realm host (as a configuration would).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthenticationError, RegistryError } from "../../lib/oci/errors.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { RequestEvent } from "../../lib/oci/remote/transport.ts";
import { pushArtifact } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type RunningTokenIssuer, startTokenIssuer } from "../support/registry/token-issuer.ts";

const PASSWORD = "token-user-password";
const REFRESH = "refresh-token-for-bob";
let issuer: RunningTokenIssuer;
let registry: RunningRegistry;

beforeAll(async () => {
  issuer = await startTokenIssuer({
    users: { alice: PASSWORD },
    refreshTokens: { [REFRESH]: "bob" },
    anonymousActions: ["pull"],
  });
  registry = await startRegistry({
    auth: {
      kind: "token",
      realm: issuer.realm,
      service: issuer.service,
      issuer: issuer.issuer,
      rootCertBundle: issuer.certificatePem,
    },
  });
});

/** The issuer's `host:port`. */
function realmHosts(): string[] {
  return [new URL(issuer.realm).host];
}

afterAll(async () => {
  await registry?.stop();
  await issuer?.stop();
});

describe("Bearer token auth", () => {
  it("follows the challenge to the realm, pushes, and caches tokens per scope", async () => {
    issuer.requests.length = 0;
    const events: RequestEvent[] = [];
    const client = new RegistryClient(registry.host, {
      tokenRealmHosts: realmHosts(),
      credentials: { username: "alice", password: PASSWORD },
      onRequest: (e) => events.push(e),
    });
    const repo = client.repository("token/app");
    const artifact = await pushArtifact(repo, { tag: "v1" });
    for (let i = 0; i < 5; i++)
      expect((await repo.fetchManifest("v1")).descriptor).toEqual(artifact.descriptor);
    expect(await repo.hasBlob(artifact.manifest.layers[0]!.digest)).toBe(true);

    // One 401 in all; one token for pull (the HEAD before each upload, the reads) and one for pull+push
    // (the uploads), each fetched once.
    expect(events.filter((e) => e.status === 401)).toHaveLength(1);
    expect(issuer.requests.map((r) => [r.account, r.scopes])).toEqual([
      ["alice", ["repository:token/app:pull"]],
      ["alice", ["repository:token/app:pull,push"]],
    ]);
    expect(events.filter((e) => e.operation === "auth.token")).toHaveLength(2);
  });

  it("asks for pull on the source repository when mounting", async () => {
    const client = new RegistryClient(registry.host, {
      tokenRealmHosts: realmHosts(),
      credentials: { username: "alice", password: PASSWORD },
    });
    const source = await pushArtifact(client.repository("token/source"));
    issuer.requests.length = 0;
    const layer = source.manifest.layers[0]!;
    expect(await client.repository("token/target").mountBlob(layer, "token/source")).toBe(true);
    expect(issuer.requests.at(-1)?.scopes).toEqual([
      "repository:token/target:pull,push",
      "repository:token/source:pull",
    ]);
  });

  it("exchanges an identity (refresh) token with the OAuth2 POST", async () => {
    issuer.requests.length = 0;
    const repo = new RegistryClient(registry.host, {
      credentials: { identityToken: REFRESH },
      tokenRealmHosts: realmHosts(),
    }).repository("token/app");
    expect(await repo.tags()).toEqual(["v1"]);
    expect(issuer.requests).toEqual([
      { method: "POST", account: "bob", scopes: ["repository:token/app:pull"], status: 200 },
    ]);
  });

  it("reads anonymously where the issuer grants pull, and is denied push", async () => {
    const repo = new RegistryClient(registry.host, { tokenRealmHosts: realmHosts() }).repository("token/app");
    expect((await repo.resolve("v1")).mediaType).toBeDefined();
    const error = await pushArtifact(repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
    expect((error as RegistryError).codes).toContain("UNAUTHORIZED");
  });

  it("reports a refused token request without the password", async () => {
    const wrong = "not-the-token-password";
    const repo = new RegistryClient(registry.host, {
      tokenRealmHosts: realmHosts(),
      credentials: { username: "alice", password: wrong },
    }).repository("token/app");
    const error = await repo.tags().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as Error).message).toMatch(
      /token request to http:\/\/127\.0\.0\.1:\d+\/token answered 401/,
    );
    expect(`${String(error)} ${JSON.stringify(error)} ${JSON.stringify(repo)}`).not.toContain(wrong);
  });

  it("sends nothing to a realm the registry was not configured with", async () => {
    issuer.requests.length = 0;
    const repo = new RegistryClient(registry.host, {
      credentials: { username: "alice", password: PASSWORD },
    }).repository("token/app");
    const error = await repo.tags().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain(
      `refusing token realm on another host, ${new URL(issuer.realm).origin}`,
    );
    expect(issuer.requests).toEqual([]);
  });
});
