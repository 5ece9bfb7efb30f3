import { describe, expect, it } from "vitest";
import {
  checkRepositoryName,
  InvalidReferenceError,
  parseReference,
  parseSubjectReference,
} from "./reference.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("parseReference: docker normalisation", () => {
  it.each([
    ["alpine", "docker.io", "library/alpine", undefined, undefined, "docker.io/library/alpine"],
    ["alpine:3.20", "docker.io", "library/alpine", "3.20", undefined, "docker.io/library/alpine:3.20"],
    ["user/app", "docker.io", "user/app", undefined, undefined, "docker.io/user/app"],
    ["docker.io/alpine", "docker.io", "library/alpine", undefined, undefined, "docker.io/library/alpine"],
    ["index.docker.io/user/app:v1", "docker.io", "user/app", "v1", undefined, "docker.io/user/app:v1"],
    ["ghcr.io/org/team/app:1.0", "ghcr.io", "org/team/app", "1.0", undefined, "ghcr.io/org/team/app:1.0"],
    ["localhost/app", "localhost", "app", undefined, undefined, "localhost/app"],
    ["localhost:5000/app:dev", "localhost:5000", "app", "dev", undefined, "localhost:5000/app:dev"],
    ["127.0.0.1:5000/a/b", "127.0.0.1:5000", "a/b", undefined, undefined, "127.0.0.1:5000/a/b"],
    ["[::1]:5000/app:x", "[::1]:5000", "app", "x", undefined, "[::1]:5000/app:x"],
    ["Registry/app", "Registry", "app", undefined, undefined, "Registry/app"],
    [`app@${DIGEST}`, "docker.io", "library/app", undefined, DIGEST, `docker.io/library/app@${DIGEST}`],
    [`r.io/app:v1@${DIGEST}`, "r.io", "app", "v1", DIGEST, `r.io/app:v1@${DIGEST}`],
    [
      "a/b__c/d-e--f.g_h:T_a.g-1",
      "docker.io",
      "a/b__c/d-e--f.g_h",
      "T_a.g-1",
      undefined,
      "docker.io/a/b__c/d-e--f.g_h:T_a.g-1",
    ],
  ])("%s", (input, registry, repository, tag, digest, canonical) => {
    const ref = parseReference(input);
    expect(ref.registry).toBe(registry);
    expect(ref.repository).toBe(repository);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
    expect(ref.toString()).toBe(canonical);
    expect(parseReference(ref.toString()).toString()).toBe(canonical);
  });

  it("sends Docker Hub API requests to registry-1.docker.io", () => {
    expect(parseReference("alpine").apiHost).toBe("registry-1.docker.io");
    expect(parseReference("ghcr.io/a/b").apiHost).toBe("ghcr.io");
  });

  it("prefers the digest over the tag for manifest requests, and defaults to latest", () => {
    expect(parseReference(`a:v1@${DIGEST}`).manifestReference).toBe(DIGEST);
    expect(parseReference("a:v1").manifestReference).toBe("v1");
    expect(parseReference("a").manifestReference).toBe("latest");
  });

  it("treats a port-like suffix without a slash as a tag, as docker does", () => {
    const ref = parseReference("localhost:5000");
    expect(ref.toString()).toBe("docker.io/library/localhost:5000");
  });

  it("builds references with a new tag or digest", () => {
    const ref = parseReference("r.io/app:v1");
    expect(ref.withDigest(DIGEST).toString()).toBe(`r.io/app:v1@${DIGEST}`);
    expect(ref.withTag("v2").toString()).toBe("r.io/app:v2");
    expect(() => ref.withTag("-bad")).toThrow(InvalidReferenceError);
  });
});

describe("parseReference: hostile and invalid input", () => {
  const cases: Array<[string, RegExp]> = [
    ["", /empty reference/],
    ["Alpine", /must be lowercase/],
    ["docker.io/Library/alpine", /must be lowercase/],
    ["r.io/App", /must be lowercase/],
    ["a".repeat(256), /longer than 255/],
    [`r.io/${"a".repeat(251)}`, /longer than 255/],
    ["x".repeat(5000), /longer than 1024/],
    [`app:${"t".repeat(129)}`, /tag longer than 128/],
    ["app:-tag", /invalid tag/],
    ["app:", /invalid tag/],
    ["app@sha256:abc", /sha256 needs 64 hex/],
    [`app@sha256:${"A".repeat(64)}`, /lowercase hexadecimal/],
    [`app@md5:${"a".repeat(32)}`, /unsupported algorithm/],
    [`app@${DIGEST}@${DIGEST}`, /more than one '@'/],
    ["app@", /expected <algorithm>:<hex>/],
    ["r.io//app", /empty path component/],
    ["r.io/app/", /empty path component/],
    ["/app", /empty path component/],
    ["r.io/-app", /invalid path component "-app"/],
    ["r.io/a..b", /invalid path component/],
    ["r.io/a___b", /invalid path component/],
    ["r.io/app!", /invalid path component/],
    ["r.io/ap p", /whitespace/],
    ["r.io/app\n", /whitespace or control/],
    ["r.io/app\u0000", /control characters/],
    ["-r.io/app", /invalid registry host/],
    ["r.io:99999/app", /invalid registry port/],
    ["r.io:port/app", /invalid registry port/],
    ["r_io.com/app", /invalid registry host/],
    ["[zz::1]:5000/app", /invalid registry host/],
    ["a".repeat(64), /image ID/],
    [":tag", /missing repository name/],
    [`@${DIGEST}`, /missing repository name/],
    ["r.io/app:tag:tag2", /invalid path component|invalid registry/],
    ["r.io/ü", /invalid path component/],
    ["../../etc/passwd", /invalid path component|invalid registry/],
  ];

  it.each(cases)("%j is rejected", (input, reason) => {
    let caught: unknown;
    try {
      parseReference(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidReferenceError);
    expect((caught as Error).message).toMatch(reason);
    // Messages quote at most a bounded part of the input.
    expect((caught as Error).message.length).toBeLessThan(400);
  });

  it("keeps the bad digest's error as the cause", () => {
    try {
      parseReference("app@sha256:zz");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  it("validates bare repository names", () => {
    expect(() => checkRepositoryName("team/app")).not.toThrow();
    expect(() => checkRepositoryName("Team/app")).toThrow(/lowercase/);
    expect(() => checkRepositoryName("")).toThrow(InvalidReferenceError);
    expect(() => checkRepositoryName("a/../b")).toThrow(InvalidReferenceError);
  });
});

describe("parseSubjectReference: what the service signs and verifies", () => {
  it("takes a tag or a sha256 digest, as parseReference does", () => {
    expect(parseSubjectReference(`127.0.0.1:5000/team/app:v1@${DIGEST}`).toString()).toBe(
      `127.0.0.1:5000/team/app:v1@${DIGEST}`,
    );
    expect(parseSubjectReference("ghcr.io/a/b").tag).toBeUndefined();
  });

  it("refuses a sha512 digest, which parseReference reads for copying", () => {
    const sha512 = `sha512:${"a".repeat(128)}`;
    expect(parseReference(`r.io/app@${sha512}`).digest).toBe(sha512);
    expect(() => parseSubjectReference(`r.io/app@${sha512}`)).toThrow(InvalidReferenceError);
    expect(() => parseSubjectReference(`r.io/app@${sha512}`)).toThrow(/only sha256 digests are supported/);
  });
});
