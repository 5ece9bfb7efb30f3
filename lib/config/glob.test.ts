import { describe, expect, it } from "vitest";
import { globMatches, globProblem } from "./glob.ts";

describe("globMatches", () => {
  it.each([
    ["team/*", "team/app", true],
    ["team/*", "team/app/sub", false], // `*` stays within a segment
    ["team/**", "team/app/sub", true],
    ["team/**", "team", true], // `**` matches zero segments
    ["team/**", "teams/app", false],
    ["**", "a/b/c", true],
    ["**/app", "app", true],
    ["**/app", "x/y/app", true],
    ["**/app", "x/y/apps", false],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["a/**/b", "a/x/y/c", false],
    ["*", "latest", true],
    ["*", "a/b", false],
    ["v*", "v1.2.3", true],
    ["v*", "1.2.3", false],
    ["*-dirty", "1.0-dirty", true],
    ["*-dirty", "1.0-dirty-not", false],
    ["lib*ry/*", "library/alpine", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "aXbYbZc", true],
    ["a*b*c", "acb", false],
    ["a**b", "aXXb", true], // `**` inside a segment is `*`
    ["a**b", "aX/Xb", false],
    ["exact", "exact", true],
    ["exact", "exactly", false],
    ["team/app", "TEAM/APP", false], // case-sensitive, like repository names
  ])("%s against %s is %s", (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });

  it("treats regular-expression and other glob syntax as literal characters", () => {
    expect(globMatches("a.c", "abc")).toBe(false);
    expect(globMatches("a?c", "abc")).toBe(false);
    expect(globMatches("a?c", "a?c")).toBe(true);
    expect(globMatches("[ab]", "a")).toBe(false);
    expect(globMatches("{a,b}", "a")).toBe(false);
    expect(globMatches("(a|b)+", "(a|b)+")).toBe(true);
    expect(globMatches("^team$", "team")).toBe(false);
  });

  it("stays fast on inputs built to make backtracking matchers explode", () => {
    const value = `${"a".repeat(1000)}`;
    const pattern = `${"*a".repeat(200)}b`;
    const segments = `${"**/a/".repeat(50)}b`;
    const deep = Array.from({ length: 500 }, () => "a").join("/");
    const started = performance.now();
    expect(globMatches(pattern, value)).toBe(false);
    expect(globMatches(segments, deep)).toBe(false);
    expect(globMatches("**/a/**/a/**/c", deep)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("never matches a value longer than any repository or tag", () => {
    expect(globMatches("**", "a".repeat(2000))).toBe(false);
  });
});

describe("globProblem", () => {
  it.each([
    ["", "empty pattern"],
    ["team//app", "empty path segment"],
    ["/team", "empty path segment"],
    ["team/", "empty path segment"],
    ["team app", "whitespace"],
    ["team\u0000", "control"],
    ["a".repeat(513), "longer than 512"],
  ])("rejects %j", (pattern, reason) => {
    expect(globProblem(pattern)).toContain(reason);
  });

  it("accepts ordinary patterns", () => {
    for (const pattern of ["**", "team/*", "v*", "a/**/b", "sha256-*"])
      expect(globProblem(pattern)).toBeUndefined();
  });
});
