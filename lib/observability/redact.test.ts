import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { REDACTED, redactedPathAndQuery, redactValue, scrubString } from "./redact.ts";

describe("scrubString", () => {
  it.each([
    ["Authorization: Bearer abc.def-ghi", "Authorization: Bearer [REDACTED]"],
    ["basic dXNlcjpwYXNz", `basic ${REDACTED}`],
    ["https://user:pa55@registry.example/v2/", "https://[REDACTED]@registry.example/v2/"],
    ["GET /v2/token?scope=x&access_token=s3cr3t&n=1", "GET /v2/token?scope=x&access_token=[REDACTED]&n=1"],
    ["/webhooks/hub?token=abcdef", "/webhooks/hub?token=[REDACTED]"],
    ["id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln here", "id [REDACTED] here"],
    ["-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----", REDACTED],
  ])("%s", (input, expected) => {
    expect(scrubString(input)).toBe(expected);
  });

  it("keeps text without credentials as it is", () => {
    const text = "pushed 127.0.0.1:5000/team/app@sha256:abc (tag v1)";
    expect(scrubString(text)).toBe(text);
  });
});

describe("redactValue", () => {
  it("replaces secret-named keys at any depth, whatever their spelling", () => {
    const redacted = redactValue({
      headers: {
        Authorization: "x",
        "X-Hub-Signature-256": "sha256=1",
        "x-jfrog-event-auth": "y",
        Cookie: "c",
      },
      registry: { username: "u", password: "p", clientSecret: "s" },
      list: [{ token: "t" }],
      digest: "sha256:abc",
    });
    expect(redacted).toEqual({
      headers: {
        Authorization: REDACTED,
        "X-Hub-Signature-256": REDACTED,
        "x-jfrog-event-auth": REDACTED,
        Cookie: REDACTED,
      },
      registry: { username: "u", password: REDACTED, clientSecret: REDACTED },
      list: [{ token: REDACTED }],
      digest: "sha256:abc",
    });
  });

  it("serializes errors with their cause chain, scrubbed, without stacks", () => {
    const error = new Error("fetch https://a:b@h/ failed", { cause: new TypeError("Bearer zzz rejected") });
    expect(redactValue({ error })).toEqual({
      error: {
        name: "Error",
        message: "fetch https://[REDACTED]@h/ failed",
        cause: { name: "TypeError", message: "Bearer [REDACTED] rejected" },
      },
    });
  });

  it("turns Headers, URLs and bytes into safe JSON", () => {
    expect(
      redactValue({
        h: new Headers({ authorization: "Bearer x", accept: "a" }),
        u: new URL("https://h/p?token=t&q=1"),
        b: new Uint8Array(3),
      }),
    ).toEqual({ h: { authorization: REDACTED, accept: "a" }, u: "/p?token=[REDACTED]&q=1", b: "[3 bytes]" });
  });
});

describe("redactedPathAndQuery", () => {
  it("redacts built-in and extra secret parameters, keeps the others", () => {
    const url = new URL("http://h/webhooks/q?sesame=1&password=2&name=a%20b");
    expect(redactedPathAndQuery(url, new Set(["sesame"]))).toBe(
      "/webhooks/q?sesame=[REDACTED]&password=[REDACTED]&name=a%20b",
    );
  });
});

describe("createLogger", () => {
  it("writes one JSON line per call, below-level lines dropped, reserved fields kept", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), level: "info", clock: () => new Date(0) }).child({
      a: 1,
    });
    log.debug("hidden");
    log.info("shown Bearer abc", { msg: "overwrite?", password: "p", b: 2 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        time: "1970-01-01T00:00:00.000Z",
        level: "info",
        msg: "shown Bearer [REDACTED]",
        a: 1,
        password: REDACTED,
        b: 2,
      },
    ]);
  });
});
