import { describe, expect, it } from "vitest";
import { hostOfUrl, parseImageReference } from "./image-reference.ts";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseImageReference", () => {
  it.each([
    [
      "us-west1-docker.pkg.dev/p/r/img:1.1",
      { registry: "us-west1-docker.pkg.dev", repository: "p/r/img", tag: "1.1" },
    ],
    [`Quay.IO:8443/ns/app@${DIGEST}`, { registry: "quay.io:8443", repository: "ns/app", digest: DIGEST }],
    [`localhost/app:v1@${DIGEST}`, { registry: "localhost", repository: "app", tag: "v1", digest: DIGEST }],
    ["[::1]:5000/a/b", { registry: "[::1]:5000", repository: "a/b" }],
    ["127.0.0.1:5000/a__b/c-d.e", { registry: "127.0.0.1:5000", repository: "a__b/c-d.e" }],
  ])("parses %s", (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each([
    ["library/ubuntu:latest", "reference has no registry host"],
    ["ubuntu", "reference has no registry host"],
    ["gcr.io/../etc:1", "repository: not a repository name"],
    ["gcr.io/a//b", "repository: not a repository name"],
    ["gcr.io/A/b", "repository: not a repository name"],
    ["gcr.io/a/b:", "tag: not a tag"],
    ["gcr.io/a/b:.hidden", "tag: not a tag"],
    ["gcr.io/a/b@sha256:abc", "digest: not a sha256 digest"],
    [`gcr.io/a/b@sha512:${"a".repeat(128)}`, "digest: only sha256 digests are supported"],
    ["user@gcr.io/a/b", "digest: not a sha256 digest"],
    ["gcr.io:99999/a", "registry: port out of range"],
    ["gcr.io:/a", "registry: not a registry host"],
    ["-gcr.io/a", "registry: not a registry host"],
    [`gcr.io/${"a".repeat(300)}`, "repository: repository name exceeds 255 characters"],
    [`gcr.io/${"a/".repeat(600)}a`, "reference exceeds 1024 characters"],
  ])("rejects %s", (text, problem) => {
    const parsed = parseImageReference(text);
    expect(typeof parsed).toBe("string");
    expect((parsed as string).startsWith(problem), parsed as string).toBe(true);
  });
});

describe("hostOfUrl", () => {
  it("returns the host as clients address it", () => {
    expect(hostOfUrl("http://127.0.0.1:5001/v2/x")).toEqual({ host: "127.0.0.1:5001" });
    expect(hostOfUrl("https://REGISTRY.example:443/v2/x")).toEqual({ host: "registry.example" });
    expect(hostOfUrl("https://user:pw@registry.example/v2/x")).toEqual({ host: "registry.example" });
    expect(hostOfUrl("http://[::1]:5000/v2/")).toEqual({ host: "[::1]:5000" });
  });

  it("refuses what is not an http(s) URL", () => {
    expect(hostOfUrl("registry.example/v2")).toEqual({ problem: "not an absolute URL" });
    expect(hostOfUrl("file:///etc/passwd")).toEqual({ problem: "not an http(s) URL" });
  });
});
