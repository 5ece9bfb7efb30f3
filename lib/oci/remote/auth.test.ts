import { describe, expect, it } from "vitest";
import { AuthenticationError } from "../errors.ts";
import { Authenticator, type AuthenticatorOptions, type TokenExchange } from "./auth.ts";

const CHALLENGE = 'Bearer realm="https://auth.example/token",service="registry.example"';

function issuer(lifetime?: number) {
  const calls: { url: string; headers: Readonly<Record<string, string>>; body?: string }[] = [];
  let counter = 0;
  const exchange: TokenExchange = async (request) => {
    calls.push({
      url: request.url,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body }),
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    counter++;
    const body = { token: `token-${counter}`, ...(lifetime !== undefined && { expires_in: lifetime }) };
    return { status: 200, bytes: new TextEncoder().encode(JSON.stringify(body)) };
  };
  return { calls, exchange };
}

/** An Authenticator for https://registry.example whose profile names auth.example as a realm host. */
function authenticator(options: Omit<AuthenticatorOptions, "origin" | "registry"> & { registry?: string }) {
  return new Authenticator({
    registry: "registry.example",
    origin: "https://registry.example",
    realmHosts: ["auth.example"],
    ...options,
  });
}

describe("Authenticator", () => {
  it("caches a token per scope set until shortly before it expires", async () => {
    let now = 1_000_000;
    const { calls, exchange } = issuer(300);
    const auth = authenticator({ exchange, now: () => now });
    const pull = ["repository:a:pull"];
    expect(await auth.authorize(pull)).toBeUndefined();
    expect(await auth.respond(CHALLENGE, pull, undefined)).toBe("Bearer token-1");
    expect(await auth.authorize(pull)).toBe("Bearer token-1");
    expect(await auth.authorize(["repository:a:pull,push"])).toBe("Bearer token-2");
    now += 269_000; // 300 s lifetime, renewed 30 s early
    expect(await auth.authorize(pull)).toBe("Bearer token-1");
    now += 2_000;
    expect(await auth.authorize(pull)).toBe("Bearer token-3");
    expect(calls).toHaveLength(3);
    const first = new URL(calls[0]!.url);
    expect(first.searchParams.get("service")).toBe("registry.example");
    expect(first.searchParams.getAll("scope")).toEqual(pull);
  });

  it("defaults to 60 s when the token response has no expires_in", async () => {
    let now = 0;
    const { calls, exchange } = issuer();
    const auth = authenticator({ exchange, now: () => now });
    await auth.respond(CHALLENGE, [], undefined);
    now += 53_000;
    await auth.authorize([]);
    expect(calls).toHaveLength(1);
    now += 2_000;
    await auth.authorize([]);
    expect(calls).toHaveLength(2);
  });

  it("fetches one token for concurrent requests with the same scopes", async () => {
    const { calls, exchange } = issuer();
    const auth = authenticator({ exchange });
    await auth.respond(CHALLENGE, ["repository:x:pull"], undefined);
    calls.length = 0;
    const scopes = ["repository:x:pull,push"];
    const tokens = await Promise.all(Array.from({ length: 10 }, () => auth.authorize(scopes)));
    expect(new Set(tokens).size).toBe(1);
    expect(calls).toHaveLength(1);
  });

  it("replaces a token the registry refused, and merges the scope the challenge asks for", async () => {
    const { calls, exchange } = issuer();
    const auth = authenticator({ exchange });
    const first = await auth.respond(CHALLENGE, ["repository:a:pull"], undefined);
    const second = await auth.respond(
      `${CHALLENGE},scope="repository:a:pull,push",error="insufficient_scope"`,
      ["repository:a:pull"],
      first,
    );
    expect(second).toBe("Bearer token-2");
    // One scope per resource, with the actions of both.
    expect(new URL(calls[1]!.url).searchParams.getAll("scope")).toEqual(["repository:a:pull,push"]);
    await auth.respond(
      `${CHALLENGE},scope="repository:b:push,pull repository:c:pull"`,
      ["repository:b:pull,push", "repository:c:pull"],
      undefined,
    );
    expect(new URL(calls[2]!.url).searchParams.getAll("scope")).toEqual([
      "repository:b:pull,push",
      "repository:c:pull",
    ]);
  });

  it("sends Basic only with credentials, and not twice", async () => {
    const { exchange } = issuer();
    const anonymous = authenticator({ exchange });
    expect(await anonymous.respond('Basic realm="x"', [], undefined)).toBeUndefined();
    const store = { get: async () => ({ username: "u", password: "p" }) };
    const auth = authenticator({ exchange, credentials: store });
    const basic = await auth.respond('Basic realm="x"', [], undefined);
    expect(basic).toBe(`Basic ${btoa("u:p")}`);
    expect(await auth.respond('Basic realm="x"', [], basic)).toBeUndefined();
    expect(await auth.authorize(["anything"])).toBe(basic);
  });

  it("uses Basic credentials at the token endpoint, and refresh tokens with a POST", async () => {
    const a = issuer();
    const withPassword = authenticator({
      exchange: a.exchange,
      credentials: { get: async () => ({ username: "u", password: "p" }) },
    });
    await withPassword.respond(CHALLENGE, ["s"], undefined);
    expect(a.calls[0]?.headers.authorization).toBe(`Basic ${btoa("u:p")}`);
    const b = issuer();
    const withRefresh = authenticator({
      exchange: b.exchange,
      credentials: { get: async () => ({ identityToken: "refresh-me" }) },
    });
    await withRefresh.respond(CHALLENGE, ["repository:a:pull"], undefined);
    const form = new URLSearchParams(b.calls[0]?.body);
    expect(form.get("grant_type")).toBe("refresh_token");
    expect(form.get("refresh_token")).toBe("refresh-me");
    expect(form.get("scope")).toBe("repository:a:pull");
    expect(b.calls[0]?.headers.authorization).toBeUndefined();
  });

  it("refuses to send credentials to a plain-HTTP realm that is not loopback", async () => {
    const { calls, exchange } = issuer();
    const auth = authenticator({ exchange });
    await expect(auth.respond('Bearer realm="http://evil.example/token"', [], undefined)).rejects.toThrow(
      AuthenticationError,
    );
    await expect(auth.respond('Bearer service="x"', [], undefined)).rejects.toThrow(/without a realm/);
    expect(calls).toHaveLength(0);
    const loopback = authenticator({ exchange, realmHosts: ["127.0.0.1:9"] });
    expect(await loopback.respond('Bearer realm="http://127.0.0.1:9/token"', [], undefined)).toBe(
      "Bearer token-1",
    );
  });

  it("reports token endpoint failures with status and without secrets", async () => {
    const exchange: TokenExchange = async () => ({ status: 401, bytes: new Uint8Array() });
    const auth = authenticator({
      exchange,
      credentials: { get: async () => ({ username: "u", password: "top-secret" }) },
    });
    const error = await auth.respond(`${CHALLENGE}`, [], undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect(`${String(error)}${JSON.stringify(auth)}`).not.toContain("top-secret");
    const garbage: TokenExchange = async () => ({
      status: 200,
      bytes: new TextEncoder().encode('{"nope":1}'),
    });
    const auth2 = authenticator({ exchange: garbage });
    await expect(auth2.respond(CHALLENGE, [], undefined)).rejects.toThrow(/carries no token/);
  });

  it("refuses a realm on any host but the registry's and the named ones, before any request", async () => {
    const { calls, exchange } = issuer();
    const credentials = { get: async () => ({ username: "u", password: "top-secret" }) };
    const auth = authenticator({ exchange, credentials });
    for (const realm of [
      "https://evil.example/token",
      "https://registry.example:8443/token",
      "https://auth.example.evil.example/token",
    ]) {
      const error = await auth
        .respond(`Bearer realm="${realm}"`, ["repository:a:pull"], undefined)
        .catch((e) => e);
      expect(error, realm).toBeInstanceOf(AuthenticationError);
      expect(String(error)).toContain(new URL(realm).origin);
      expect(String(error)).not.toContain("top-secret");
    }
    expect(calls).toHaveLength(0);
    // The registry's own host and the named realm host are fine.
    expect(await auth.respond('Bearer realm="https://registry.example/token"', ["s"], undefined)).toBe(
      "Bearer token-1",
    );
    expect(await auth.respond(CHALLENGE, ["t"], undefined)).toBe("Bearer token-2");
  });

  it("remembers a realm for the repository whose challenge named it, never for the whole registry", async () => {
    const { calls, exchange } = issuer();
    const auth = authenticator({ exchange, realmHosts: ["auth.example", "other.example"] });
    await auth.respond('Bearer realm="https://other.example/token"', ["repository:evil/app:pull"], undefined);
    expect(await auth.authorize(["repository:evil/app:pull,push"])).toBe("Bearer token-2");
    // Another repository sends nothing up front: its own challenge says where its tokens come from.
    expect(await auth.authorize(["repository:team/app:pull"])).toBeUndefined();
    expect(await auth.respond(CHALLENGE, ["repository:team/app:pull"], undefined)).toBe("Bearer token-3");
    expect(calls.map((c) => new URL(c.url).host)).toEqual(["other.example", "other.example", "auth.example"]);
  });

  it("does not remember a failed token request: the next request asks again", async () => {
    let answers = [500, 200];
    const exchange: TokenExchange = async () => {
      const status = answers.shift() ?? 200;
      return { status, bytes: new TextEncoder().encode(JSON.stringify({ token: "fresh" })) };
    };
    const auth = authenticator({ exchange });
    const error = await auth.respond(CHALLENGE, ["repository:a:pull"], undefined).catch((e) => e);
    expect((error as AuthenticationError).status).toBe(500);
    expect(await auth.authorize(["repository:a:pull"])).toBe("Bearer fresh");
    answers = [];
  });

  it("asks a credential store that failed once again, instead of keeping its failure", async () => {
    let calls = 0;
    const credentials = {
      get: async () => {
        calls++;
        if (calls === 1) throw new Error("secret service timed out");
        return { username: "u", password: "p" };
      },
    };
    const auth = authenticator({ exchange: issuer().exchange, credentials });
    await expect(auth.respond('Basic realm="x"', [], undefined)).rejects.toThrow(/timed out/);
    expect(await auth.respond('Basic realm="x"', [], undefined)).toBe(`Basic ${btoa("u:p")}`);
  });
});
