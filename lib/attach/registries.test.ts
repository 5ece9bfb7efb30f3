import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.ts";
import type { ConfigInput } from "../config/schema.ts";
import { registryDirectory, UnconfiguredRegistryError } from "./registries.ts";

/** A fetch that records every URL and answers `/v2/` with 200 (no network). */
function recordingFetch(answer: (request: Request) => Response = () => new Response("{}", { status: 200 })) {
  const requests: Request[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push(request);
    return answer(request);
  };
  return { fetch, requests };
}

async function registries(input: ConfigInput["registries"], env: Record<string, string> = {}) {
  const config = await parseConfig(
    { registries: input },
    { env: (name) => env[name], readFile: async () => "" },
  );
  return config.registries;
}

describe("registryDirectory", () => {
  it.each([
    "registry.evil.example",
    "127.0.0.1:5000.evil.example",
    "user@127.0.0.1:5000",
    "evil.example/127.0.0.1:5000",
    "127.0.0.2:5000",
    "localhost:5000",
    "[::1]:5000",
    "ghcr.io.evil.example",
    "",
    "127.0.0.1:5000/",
  ])("refuses %j without sending a request", async (host) => {
    const { fetch, requests } = recordingFetch();
    const directory = registryDirectory(await registries([{ host: "127.0.0.1:*" }, { host: "ghcr.io" }]), {
      fetch,
    });
    expect(() => directory.client(host)).toThrow(UnconfiguredRegistryError);
    expect(() => directory.client(host)).toThrow(/is not configured/);
    expect(directory.entry(host)).toBeUndefined();
    expect(requests).toEqual([]);
  });

  it("`127.0.0.1:*` admits any port of 127.0.0.1, and the bare host", async () => {
    const directory = registryDirectory(await registries([{ host: "127.0.0.1:*" }]));
    for (const host of ["127.0.0.1:5000", "127.0.0.1:1", "127.0.0.1:65535", "127.0.0.1"]) {
      expect(directory.client(host).registry, host).toBe(host);
      expect(directory.entry(host)?.host, host).toBe("127.0.0.1:*");
    }
    // Spellings the URL parser turns into 127.0.0.1 are the same host.
    expect(directory.client("2130706433:5000").registry).toBe("127.0.0.1:5000");
  });

  it("matches a configured host after normalization, and caches one client per host", async () => {
    const directory = registryDirectory(await registries([{ host: "ghcr.io" }, { host: "docker.io" }]));
    const client = directory.client("GHCR.IO");
    expect(client.registry).toBe("ghcr.io");
    expect(client.baseUrl).toBe("https://ghcr.io");
    expect(directory.client("ghcr.io:443")).toBe(client);
    expect(directory.client("ghcr.io.")).toBe(client);
    expect(directory.client("index.docker.io").registry).toBe("docker.io");
    expect(directory.client("docker.io")).not.toBe(client);
  });

  it("talks plain HTTP to loopback by default, and where configured", async () => {
    const directory = registryDirectory(
      await registries([
        { host: "127.0.0.1:*" },
        { host: "registry.internal:5000", plainHttp: true },
        { host: "quay.io" },
      ]),
    );
    expect(directory.client("127.0.0.1:5000").baseUrl).toBe("http://127.0.0.1:5000");
    expect(directory.client("registry.internal:5000").baseUrl).toBe("http://registry.internal:5000");
    expect(directory.client("quay.io").baseUrl).toBe("https://quay.io");
  });

  it("takes the profile from the configuration, else from the host", async () => {
    const directory = registryDirectory(
      await registries([
        { host: "127.0.0.1:*", profile: "distribution" },
        { host: "quay.io" },
        { host: "ghcr.io" },
      ]),
    );
    expect(directory.profile("127.0.0.1:5000").name).toBe("distribution");
    expect(directory.profile("quay.io").name).toBe("quay");
    expect(directory.profile("ghcr.io").name).toBe("ghcr");
  });

  it("sends requests through the shared fetch, to the configured host only", async () => {
    const { fetch, requests } = recordingFetch();
    const directory = registryDirectory(await registries([{ host: "127.0.0.1:*" }]), { fetch });
    await directory.client("127.0.0.1:5000").ping();
    expect(requests.map((r) => r.url)).toEqual(["http://127.0.0.1:5000/v2/"]);
  });

  it("passes the configured credentials to the client (Basic, after the challenge), per host", async () => {
    const { fetch, requests } = recordingFetch((request) =>
      request.headers.get("authorization") === null
        ? new Response("{}", { status: 401, headers: { "www-authenticate": 'Basic realm="test"' } })
        : new Response("{}", { status: 200 }),
    );
    const directory = registryDirectory(
      await registries(
        [
          {
            host: "127.0.0.1:5000",
            credentials: { username: "alice", password: { env: "REGISTRY_PASSWORD" } },
          },
          { host: "127.0.0.1:*" },
        ],
        { REGISTRY_PASSWORD: "s3cret-pass" },
      ),
      { fetch },
    );
    await directory.client("127.0.0.1:5000").ping();
    expect(requests.map((r) => r.headers.get("authorization"))).toEqual([
      null,
      `Basic ${btoa("alice:s3cret-pass")}`,
    ]);
    // Another port falls under the anonymous wildcard: the password never goes there.
    requests.length = 0;
    await expect(directory.client("127.0.0.1:6000").ping()).rejects.toThrow(/401/);
    expect(requests.map((r) => r.headers.get("authorization"))).toEqual([null]);
  });

  it("an entry for the exact host wins over a port wildcard listed before it", async () => {
    const { fetch, requests } = recordingFetch((request) =>
      request.headers.get("authorization") === null
        ? new Response("{}", { status: 401, headers: { "www-authenticate": 'Basic realm="test"' } })
        : new Response("{}", { status: 200 }),
    );
    const directory = registryDirectory(
      await registries([
        { host: "127.0.0.1:*" },
        {
          host: "127.0.0.1:5000",
          profile: "zot",
          credentials: { username: "bob", password: "pw-0123456789" },
        },
      ]),
      { fetch },
    );
    expect(directory.entry("127.0.0.1:5000")?.host).toBe("127.0.0.1:5000");
    expect(directory.profile("127.0.0.1:5000").name).toBe("zot");
    expect(directory.entry("127.0.0.1:5001")?.host).toBe("127.0.0.1:*");
    await directory.client("127.0.0.1:5000").ping();
    expect(requests.at(-1)?.headers.get("authorization")).toBe(`Basic ${btoa("bob:pw-0123456789")}`);
  });
});
