import { describe, expect, it } from "vitest";
import { base64FromText } from "../../encoding.ts";
import {
  CredentialConfigError,
  dockerConfigCredentials,
  normalizeRegistryKey,
  StaticCredentialStore,
} from "./credentials.ts";

describe("credentials", () => {
  it("reads config.json auths: base64 auth, username/password, tokens, Docker Hub's legacy key", async () => {
    const store = dockerConfigCredentials({
      auths: {
        "https://index.docker.io/v1/": { auth: base64FromText("hub-user:pa:ss") },
        "127.0.0.1:5000": { username: "u", password: "p" },
        "https://ghcr.io/v2/": { identitytoken: "refresh" },
        "quay.io": { registrytoken: "bearer-token" },
      },
      credsStore: "desktop",
    });
    expect(await store.get("docker.io")).toEqual({ username: "hub-user", password: "pa:ss" });
    expect(await store.get("127.0.0.1:5000")).toEqual({ username: "u", password: "p" });
    expect(await store.get("ghcr.io")).toEqual({ identityToken: "refresh" });
    expect(await store.get("quay.io")).toEqual({ registryToken: "bearer-token" });
    expect(await store.get("example.com")).toBeUndefined();
  });

  it("reports bad entries without quoting the secret", () => {
    const secret = "c2VjcmV0LXdpdGhvdXQtY29sb24="; // "secret-without-colon"
    for (const config of [
      { auths: { "r.io": { auth: secret } } },
      { auths: { "r.io": { auth: "%%%not base64" } } },
    ]) {
      try {
        dockerConfigCredentials(config);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CredentialConfigError);
        expect(String(error)).not.toContain(secret);
        expect(String(error)).not.toContain("secret-without-colon");
        expect(String(error)).toContain("r.io");
      }
    }
    try {
      dockerConfigCredentials({ auths: { "r.io": { password: 12345678 } } });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain("12345678");
      expect(String(error)).toMatch(/auths\.r\.io\.password/);
    }
  });

  it("never serialises secrets", () => {
    const store = new StaticCredentialStore({ "r.io": { username: "u", password: "hunter2" } });
    expect(JSON.stringify(store)).not.toContain("hunter2");
  });

  it("normalises config.json keys to host[:port]", () => {
    expect(normalizeRegistryKey("https://index.docker.io/v1/")).toBe("docker.io");
    expect(normalizeRegistryKey("registry-1.docker.io")).toBe("docker.io");
    expect(normalizeRegistryKey("http://LOCALHOST:5000/v2/")).toBe("localhost:5000");
    expect(normalizeRegistryKey("ghcr.io")).toBe("ghcr.io");
  });
});
