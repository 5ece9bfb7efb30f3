import { describe, expect, it } from "vitest";
import { normalizeRegistryHost, parseRegistryHostPattern, registryHostMatches } from "./registry-host.ts";

describe("normalizeRegistryHost", () => {
  it.each([
    ["ghcr.io", "ghcr.io"],
    ["GHCR.IO", "ghcr.io"],
    ["ghcr.io.", "ghcr.io"],
    ["ghcr.io:443", "ghcr.io"],
    ["127.0.0.1:5000", "127.0.0.1:5000"],
    ["localhost:5000", "localhost:5000"],
    ["[::1]:5000", "[::1]:5000"],
    ["[0:0:0:0:0:0:0:1]:5000", "[::1]:5000"],
    ["index.docker.io", "docker.io"],
    ["registry-1.docker.io", "docker.io"],
    // What fetch would connect to: the WHATWG URL parser's IPv4 forms.
    ["2130706433:5000", "127.0.0.1:5000"],
    ["0x7f.1:5000", "127.0.0.1:5000"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeRegistryHost(input)).toBe(expected);
  });

  it.each([
    "",
    "ghcr.io/evil",
    "evil.com/127.0.0.1:5000",
    "user@127.0.0.1:5000",
    "127.0.0.1:5000@evil.com",
    "127.0.0.1:5000.evil.com",
    "127.0.0.1:5000#frag",
    "127.0.0.1:5000?x=1",
    "127.0.0.1:99999",
    "127.0.0.1:",
    "evil.com\\@127.0.0.1",
    " ghcr.io",
    "ghcr.io\n",
    "http://ghcr.io",
    "ghcr.io:5000:6000",
    "[::1",
    "::1",
    "exa mple.com",
    "ëxample.com",
    "-bad.example",
    "a".repeat(300),
  ])("rejects %j", (input) => {
    expect(normalizeRegistryHost(input)).toBeUndefined();
  });
});

describe("registry host patterns", () => {
  const pattern = (text: string) => {
    const parsed = parseRegistryHostPattern(text);
    if (!("pattern" in parsed)) throw new Error(parsed.problem);
    return parsed.pattern;
  };

  it("matches exact hosts only", () => {
    const ghcr = pattern("ghcr.io");
    expect(registryHostMatches(ghcr, "ghcr.io")).toBe(true);
    expect(registryHostMatches(ghcr, "ghcr.io:5000")).toBe(false);
    expect(registryHostMatches(ghcr, "evilghcr.io")).toBe(false);
    expect(registryHostMatches(ghcr, "ghcr.io.evil.com")).toBe(false);
    expect(registryHostMatches(pattern("127.0.0.1:5000"), "127.0.0.1:5001")).toBe(false);
  });

  it("lets a loopback host take any port with :*, and nothing more", () => {
    const loopback = pattern("127.0.0.1:*");
    expect(registryHostMatches(loopback, "127.0.0.1:5000")).toBe(true);
    expect(registryHostMatches(loopback, "127.0.0.1")).toBe(true);
    expect(registryHostMatches(loopback, "127.0.0.10:5000")).toBe(false);
    expect(registryHostMatches(loopback, "127.0.0.1.evil.com")).toBe(false);
    expect(registryHostMatches(pattern("[::1]:*"), "[::1]:5000")).toBe(true);
  });

  it("refuses a port wildcard on a remote host or with a port", () => {
    expect(parseRegistryHostPattern("ghcr.io:*")).toHaveProperty("problem");
    expect(parseRegistryHostPattern("10.0.0.1:*")).toHaveProperty("problem");
    expect(parseRegistryHostPattern("127.0.0.1:5000:*")).toHaveProperty("problem");
    expect(parseRegistryHostPattern("*")).toHaveProperty("problem");
    expect(parseRegistryHostPattern("*.example.com")).toHaveProperty("problem");
  });
});
