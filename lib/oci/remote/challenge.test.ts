import { describe, expect, it } from "vitest";
import { parseChallenges } from "./challenge.ts";

describe("parseChallenges", () => {
  it("reads a Bearer challenge whose scope holds commas", () => {
    expect(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:samalba/my-app:pull,push",
        },
      },
    ]);
  });

  it("reads several challenges in one header, token values and escapes", () => {
    expect(
      parseChallenges(
        'Basic realm="a \\"quoted\\" realm", Bearer realm=https://x/t , error=insufficient_scope',
      ),
    ).toEqual([
      { scheme: "basic", params: { realm: 'a "quoted" realm' } },
      { scheme: "bearer", params: { realm: "https://x/t", error: "insufficient_scope" } },
    ]);
  });

  it("skips token68 credentials and lowercases schemes and parameter names", () => {
    expect(parseChallenges("Negotiate abc==, BASIC Realm=x")).toEqual([
      { scheme: "negotiate", params: {} },
      { scheme: "basic", params: { realm: "x" } },
    ]);
  });

  it("survives garbage without looping", () => {
    for (const header of ["", ",,,", '"', "=", 'Bearer realm="unterminated', "Bearer ,,, =x", "a b c d"]) {
      expect(() => parseChallenges(header)).not.toThrow();
    }
    expect(parseChallenges('Bearer realm="unterminated')[0]?.params.realm).toBe("unterminated");
  });
});
