import { describe, expect, it } from "vitest";
import {
  digestProblem,
  hostProblem,
  isDigestLike,
  repositoryName,
  repositoryProblem,
  tagProblem,
} from "./grammar.ts";

describe("distribution grammar", () => {
  it("accepts names of the distribution reference grammar", () => {
    for (const name of ["a", "library/alpine", "a.b_c__d---e/f", "my-project/my-repo/hello-world"]) {
      expect(repositoryProblem(name), name).toBeUndefined();
    }
  });

  it("refuses traversal, empty components, uppercase, encodings and separators at the edges", () => {
    for (const name of [
      "",
      "..",
      "a/..",
      "../a",
      "a//b",
      "/a",
      "a/",
      "A",
      "a%2f..",
      "a___b",
      "a.-b",
      "a b",
      "a\nb",
    ]) {
      expect(repositoryProblem(name), JSON.stringify(name)).toBeDefined();
    }
  });

  it("accepts tags up to 128 characters, starting with a word character", () => {
    expect(tagProblem("v1.2.3-rc_1")).toBeUndefined();
    expect(tagProblem(`sha256-${"a".repeat(64)}.sig`)).toBeUndefined();
    expect(tagProblem("a".repeat(128))).toBeUndefined();
    for (const tag of ["", "a".repeat(129), ".a", "-a", "a:b", "a/b", "a@b"])
      expect(tagProblem(tag), tag).toBeDefined();
  });

  it("accepts only lowercase sha256 digests, saying why", () => {
    expect(digestProblem(`sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(digestProblem(`sha256:${"A".repeat(64)}`)).toMatch(/^not a sha256 digest/);
    expect(digestProblem(`sha256:${"a".repeat(63)}`)).toMatch(/^not a sha256 digest/);
    expect(digestProblem(`sha512:${"a".repeat(128)}`)).toBe("only sha256 digests are supported");
    expect(isDigestLike(`sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isDigestLike("latest")).toBe(false);
  });

  it("accepts host[:port] and nothing else", () => {
    for (const host of ["ghcr.io", "127.0.0.1:5000", "[::1]:5000", "localhost", "a-b.example:1"]) {
      expect(hostProblem(host), host).toBeUndefined();
    }
    for (const host of [
      "",
      "a/b",
      "user@host",
      "host:0",
      "host:65536",
      "-a.example",
      "a..b",
      "a.example:",
      "[::1",
    ]) {
      expect(hostProblem(host), host).toBeDefined();
    }
  });
});

// What policy once refused as `invalid-event`: the edges refuse it now, before any event exists.
describe("hostile names, refused at the edge", () => {
  it.each([
    ["a suffix trick", "127.0.0.1:5000.evil.com"],
    ["user info", "user@127.0.0.1:5000"],
    ["a path in the host", "evil.com/127.0.0.1:5000"],
  ])("refuses %s as a registry host", (_, host) => {
    expect(hostProblem(host)).toBeDefined();
  });

  it.each([
    ["path traversal in the repository", "team/../admin"],
    ["an encoded repository", "team/%2e%2e"],
    ["an uppercase repository", "Team/App"],
    ["an empty segment", "team//app"],
    ["a leading slash", "/team/app"],
    ["an overlong repository", `team/${"a".repeat(300)}`],
  ])("refuses %s", (_, repository) => {
    expect(repositoryProblem(repository)).toBeDefined();
  });

  it("refuses a repository that is not a string", () => {
    expect(repositoryName.safeParse(42).success).toBe(false);
  });

  it.each([
    ["a tag with a slash", "v1/../../x"],
    ["a tag with a newline", "v1\nINFO forged"],
  ])("refuses %s", (_, tag) => {
    expect(tagProblem(tag)).toBeDefined();
  });

  it.each([
    ["a digest with uppercase hex", `sha256:${"A".repeat(64)}`],
    ["a digest of an unknown algorithm", `md5:${"a".repeat(32)}`],
  ])("refuses %s", (_, digest) => {
    expect(digestProblem(digest)).toBeDefined();
  });
});
