import { describe, expect, it } from "vitest";
import { CrossOriginError } from "../errors.ts";
import { checkRedirect, isPrivateHost, type RedirectCheck } from "./redirect.ts";

const registry = "https://registry.example";
const from = `${registry}/v2/team/app/blobs/sha256:abc`;

function check(policy: RedirectCheck["policy"], allowedPrivateHosts: string[] = []): RedirectCheck {
  return { operation: "blob.get", policy, origin: registry, allowedPrivateHosts };
}

describe("checkRedirect", () => {
  it("follows a redirect on the same origin, relative or absolute, whatever the policy", () => {
    for (const policy of ["same-origin", "storage"] as const) {
      expect(checkRedirect(check(policy), from, "/v2/team/other/blobs/x")).toMatchObject({
        sameOrigin: true,
      });
      expect(checkRedirect(check(policy), from, `${registry}/elsewhere`)).toMatchObject({ sameOrigin: true });
    }
  });

  it("refuses another origin for everything but blob downloads, naming it", () => {
    for (const location of [
      "https://cdn.example/blob",
      "https://registry.example:8443/x",
      "http://registry.example/x",
    ]) {
      const error = (() => {
        try {
          checkRedirect(check("same-origin"), from, location);
        } catch (e) {
          return e;
        }
      })();
      expect(error, location).toBeInstanceOf(CrossOriginError);
      expect((error as CrossOriginError).origin).toBe(new URL(location).origin);
    }
  });

  it("lets a blob download go to a public storage host, marked as leaving the origin", () => {
    const next = checkRedirect(check("storage"), from, "https://production.cloudflare.docker.com/blob?sig=x");
    expect(next.sameOrigin).toBe(false);
    expect(next.url.host).toBe("production.cloudflare.docker.com");
  });

  it("never from HTTPS down to HTTP, nor to another scheme", () => {
    expect(() => checkRedirect(check("storage"), from, "http://cdn.example/blob")).toThrow(/HTTPS to HTTP/);
    expect(() => checkRedirect(check("storage"), from, "file:///etc/passwd")).toThrow(/not HTTP/);
  });

  it("never to loopback, link-local or private addresses, unless the configuration names the host", () => {
    for (const location of [
      "https://127.0.0.1/x",
      "https://2130706433/x", // 127.0.0.1 as one number
      "https://0x7f.1/x",
      "https://169.254.169.254/latest/meta-data",
      "https://10.1.2.3/x",
      "https://172.20.0.1/x",
      "https://192.168.1.1/x",
      "https://[::1]/x",
      "https://[fd00::1]/x",
      "https://[fe80::1]/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://localhost/x",
      "https://metadata.google.internal/x",
      "https://minio/x",
    ]) {
      expect(() => checkRedirect(check("storage"), from, location), location).toThrow(
        /private address the configuration does not allow/,
      );
    }
    const allowed = checkRedirect(
      check("storage", ["10.1.2.3:9000"]),
      from,
      "https://10.1.2.3:9000/bucket/blob",
    );
    expect(allowed.sameOrigin).toBe(false);
    // The entry names a host and port: another port of it is still refused.
    expect(() => checkRedirect(check("storage", ["10.1.2.3:9000"]), from, "https://10.1.2.3:9001/x")).toThrow(
      CrossOriginError,
    );
  });
});

describe("isPrivateHost", () => {
  it("does not mistake public names and addresses for private ones", () => {
    for (const host of [
      "registry-1.docker.io",
      "8.8.8.8",
      "172.32.0.1",
      "100.128.0.1",
      "[2001:db8::1]",
      "ghcr.io",
    ]) {
      expect(isPrivateHost(host), host).toBe(false);
    }
  });
});
