import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.ts";
import { unresolvedSecrets } from "../config/secret.ts";
import { decide, isCosignDigestTag } from "./policy.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;
const HEX = "b".repeat(64);

const config = await parseConfig(
  {
    registries: [
      { host: "127.0.0.1:5000", repositories: ["team/**", "library/*"] },
      { host: "ghcr.io", repositories: ["my-org/*"] },
      { host: "localhost:*" },
    ],
    policy: {
      exclude: ["team/scratch/**"],
      tags: { include: ["*"], exclude: ["*-dirty"] },
    },
  },
  unresolvedSecrets,
);

const event = (overrides: Record<string, unknown> = {}) =>
  ({ registry: "127.0.0.1:5000", repository: "team/app", tag: "v1", ...overrides }) as {
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
  };

describe("decide", () => {
  it("allows a configured registry and repository, normalizing the host", () => {
    const decision = decide(
      event({ registry: "GHCR.IO:443", repository: "my-org/app", digest: DIGEST }),
      config,
    );
    expect(decision).toMatchObject({ allowed: true, event: { registry: "ghcr.io", digest: DIGEST } });
    expect(decision.allowed && decision.registry.host).toBe("ghcr.io");
  });

  it("allows any port of a loopback host configured with :*", () => {
    expect(decide(event({ registry: "localhost:32768", repository: "x/y" }), config).allowed).toBe(true);
  });

  it.each([
    ["an unconfigured host", { registry: "registry.evil.com" }, "registry-not-configured"],
    ["another port of a configured host", { registry: "127.0.0.1:5001" }, "registry-not-configured"],
    ["a decimal IP spelling of another host", { registry: "167772161:5000" }, "registry-not-configured"],
    ["a repository outside the registry's globs", { repository: "other/app" }, "repository-not-allowed"],
    [
      "a nested repository under a single-segment glob",
      { repository: "library/a/b" },
      "repository-not-allowed",
    ],
    ["an excluded repository", { repository: "team/scratch/x" }, "repository-excluded"],
    ["an excluded tag", { tag: "1.0-dirty" }, "tag-excluded"],
    ["a cosign signature tag", { tag: `sha256-${HEX}.sig` }, "signature-tag"],
    ["a cosign attestation tag", { tag: `sha256-${HEX}.att` }, "signature-tag"],
    ["a cosign SBOM tag", { tag: `sha256-${HEX}.sbom` }, "signature-tag"],
    ["the referrers fallback tag", { tag: `sha256-${HEX}` }, "signature-tag"],
    [
      "a push by Countersign itself",
      { tag: undefined, digest: `sha256:${HEX}`, userAgent: "countersign/0.1 (signatures)" },
      "own-push",
    ],
    ["neither tag nor digest", { tag: undefined }, "invalid-event"],
  ])("refuses %s", (_, overrides, code) => {
    const decision = decide(event(overrides), config);
    expect(decision).toMatchObject({ allowed: false, code });
  });

  it("signs what `countersign copy` or any other client pushed: only signing marks its pushes", () => {
    for (const userAgent of ["countersign/0.1", "containers/5.36.0 (github.com/containers/image)", "node"]) {
      expect(decide(event({ userAgent }), config).allowed, userAgent).toBe(true);
    }
  });

  it("keeps hostile values short and quoted in the reason", () => {
    const decision = decide(event({ repository: `x\n${"y".repeat(5000)}` }), config);
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) {
      expect(decision.reason.length).toBeLessThan(200);
      expect(decision.reason).not.toContain("\n");
    }
  });

  it("checks the globs of the entry naming the host, not a port wildcard listed before it", async () => {
    const overlapping = await parseConfig(
      {
        registries: [
          { host: "127.0.0.1:*", repositories: ["scratch/**"] },
          { host: "127.0.0.1:5000", repositories: ["team/**"] },
        ],
      },
      unresolvedSecrets,
    );
    const exact = decide(event(), overlapping);
    expect(exact.allowed).toBe(true);
    expect(exact.allowed && exact.registry.host).toBe("127.0.0.1:5000");
    expect(decide(event({ repository: "scratch/app" }), overlapping)).toMatchObject({
      code: "repository-not-allowed",
    });
    const other = decide(event({ registry: "127.0.0.1:5001", repository: "scratch/app" }), overlapping);
    expect(other.allowed && other.registry.host).toBe("127.0.0.1:*");
  });

  it("applies tag include globs, and the untagged switch to digest-only pushes", async () => {
    const strict = await parseConfig(
      { registries: [{ host: "127.0.0.1:5000" }], policy: { tags: { include: ["v*"], untagged: false } } },
      unresolvedSecrets,
    );
    expect(decide(event({ tag: "v2" }), strict).allowed).toBe(true);
    expect(decide(event({ tag: "latest" }), strict)).toMatchObject({ code: "tag-not-allowed" });
    expect(decide(event({ tag: undefined, digest: DIGEST }), strict)).toMatchObject({
      code: "untagged-not-allowed",
    });
    expect(decide(event({ tag: undefined, digest: DIGEST }), config).allowed).toBe(true);
  });

  it("narrows to the registries a webhook serves", () => {
    const webhook = { registries: ["127.0.0.1:5000"] };
    expect(decide(event(), config, webhook).allowed).toBe(true);
    expect(decide(event({ registry: "ghcr.io", repository: "my-org/app" }), config, webhook)).toMatchObject({
      code: "registry-not-served-by-webhook",
    });
    expect(decide(event({ registry: "ghcr.io", repository: "my-org/app" }), config, {}).allowed).toBe(true);
  });

  it("on embedded defaults, signs loopback registries on any port and nothing else", async () => {
    const defaults = await parseConfig(undefined, unresolvedSecrets);
    for (const registry of ["127.0.0.1:5000", "localhost:32768", "[::1]:5000"]) {
      expect(decide(event({ registry }), defaults, defaults.webhooks[0]).allowed).toBe(true);
    }
    for (const registry of ["ghcr.io", "10.0.0.1:5000", "127.0.0.2:5000", "docker.io"]) {
      expect(decide(event({ registry }), defaults, defaults.webhooks[0]).allowed).toBe(false);
    }
  });
});

describe("isCosignDigestTag", () => {
  it("knows cosign's tags and the fallback tag, not look-alikes", () => {
    expect(isCosignDigestTag(`sha256-${HEX}.sig`)).toBe(true);
    expect(isCosignDigestTag(`sha512-${"c".repeat(128)}.att`)).toBe(true);
    expect(isCosignDigestTag(`sha256-${HEX}`)).toBe(true);
    expect(isCosignDigestTag(`sha256-${HEX.slice(1)}.sig`)).toBe(false);
    expect(isCosignDigestTag(`sha256-${HEX}.sig2`)).toBe(false);
    expect(isCosignDigestTag("sha256-latest")).toBe(false);
    expect(isCosignDigestTag("v1.sig")).toBe(false);
  });
});
