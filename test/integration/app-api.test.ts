// The REST API in process: sign on demand with an API token or a GitHub Actions OIDC token (local key
// set, and a key set served on loopback), the claim policy, the reference policy, validation
// problems, jobs, registry reads, keys and health.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, type JWTPayload } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../lib/config/schema.ts";
import { type AppHarness, createAppHarness, problemOf } from "../support/app/harness.ts";
import { createTestOidcIssuer, type TestOidcIssuer } from "../support/webhooks/google-oidc.ts";

const API_TOKEN = "api-Token-0123456789abcdefXYZ";
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const AUDIENCE = "countersign-test";
const DIGEST = `sha256:${"ab".repeat(32)}`;

let github: TestOidcIssuer;
let h: AppHarness;

function config(issuer = GITHUB_ISSUER): ConfigInput {
  return {
    registries: [{ host: "127.0.0.1:*" }, { host: "ghcr.io", repositories: ["acme/**"] }],
    webhooks: [],
    api: {
      tokens: [{ env: "API_TOKEN" }],
      githubOidc: {
        audience: AUDIENCE,
        issuer,
        claims: { repository: "acme/*", ref: ["refs/heads/main", "refs/tags/**"], workflow: "release" },
      },
    },
  } as ConfigInput;
}

function actionsClaims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: GITHUB_ISSUER,
    aud: AUDIENCE,
    sub: "repo:acme/app:ref:refs/heads/main",
    repository: "acme/app",
    repository_owner: "acme",
    ref: "refs/heads/main",
    workflow: "release",
    job_workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
    ...overrides,
  };
}

function request(
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  return Promise.resolve(
    h.app.request(`http://127.0.0.1:8080${path}`, {
      method: init.method ?? "GET",
      headers,
      ...(init.body !== undefined && {
        body: typeof init.body === "string" ? init.body : JSON.stringify(init.body),
      }),
    }),
  );
}

const sign = (body: unknown, token?: string, headers?: Record<string, string>) =>
  request("/v1/signatures", {
    method: "POST",
    body,
    ...(token !== undefined && { token }),
    ...(headers && { headers }),
  });

beforeAll(async () => {
  github = await createTestOidcIssuer("gh-key");
});

beforeEach(async () => {
  h = await createAppHarness(config(), {
    env: { API_TOKEN },
    githubKeys: createLocalJWKSet(github.jwks),
  });
});

afterEach(() => h.close());

describe("POST /v1/signatures", () => {
  it("with an API token: 202, a stored job, a queue message with the options, a Location", async () => {
    const response = await sign(
      { reference: "127.0.0.1:5000/team/app:v1", formats: ["notary", "bundle"], recursive: false },
      API_TOKEN,
    );
    expect(response.status).toBe(202);
    const body = (await response.json()) as { jobId: string; status: string; links: { job: string } };
    expect(body.status).toBe("queued");
    expect(body.links.job).toBe(`/v1/jobs/${body.jobId}`);
    expect(response.headers.get("location")).toBe(body.links.job);
    const job = await h.store.getJob(body.jobId);
    expect(job?.request).toEqual({ registry: "127.0.0.1:5000", repository: "team/app", reference: "v1" });
    expect(job?.source).toBe("api:token/1");
    expect(h.queue.jobs).toEqual([
      { jobId: body.jobId, request: job?.request, formats: ["notary", "bundle"], recursive: false },
    ]);
  });

  it("a digest reference is signed by digest", async () => {
    const response = await sign({ reference: `127.0.0.1:5000/team/app@${DIGEST}` }, API_TOKEN);
    const { jobId } = (await response.json()) as { jobId: string };
    expect((await h.store.getJob(jobId))?.request).toEqual({
      registry: "127.0.0.1:5000",
      repository: "team/app",
      reference: DIGEST,
      digest: DIGEST,
    });
  });

  it("with a GitHub Actions OIDC token whose claims the policy admits", async () => {
    const token = await github.sign(actionsClaims());
    const response = await sign({ reference: "ghcr.io/acme/app:v2" }, token);
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    expect((await h.store.getJob(jobId))?.source).toBe("api:github/acme/app");
  });

  it("matches `workflow` against job_workflow_ref too (reusable workflows)", async () => {
    h.close();
    const input = config() as { api: { githubOidc: { claims: Record<string, unknown> } } };
    input.api.githubOidc.claims.workflow = "acme/*/.github/workflows/release.yml@refs/heads/main";
    h = await createAppHarness(input as ConfigInput, {
      env: { API_TOKEN },
      githubKeys: createLocalJWKSet(github.jwks),
    });
    const token = await github.sign(actionsClaims({ workflow: "Some name" }));
    expect((await sign({ reference: "ghcr.io/acme/app:v2" }, token)).status).toBe(202);
  });

  it.each([
    ["repository", { repository: "other/app", sub: "repo:other/app:ref:refs/heads/main" }],
    ["ref", { ref: "refs/heads/feature" }],
    [
      "workflow",
      { workflow: "build", job_workflow_ref: "acme/app/.github/workflows/build.yml@refs/heads/main" },
    ],
  ])("a valid OIDC token with a refused %s claim is a 403 problem", async (claim, overrides) => {
    const token = await github.sign(actionsClaims(overrides));
    const response = await sign({ reference: "ghcr.io/acme/app:v2" }, token);
    expect(response.status).toBe(403);
    const problem = await problemOf(response);
    expect(problem.type).toBe("urn:countersign:problem:forbidden");
    expect(problem.detail).toContain(claim);
    expect(h.queue.jobs).toEqual([]);
  });

  it.each([
    ["a wrong audience", async () => github.sign(actionsClaims({ aud: "someone-else" }))],
    ["another issuer", async () => github.sign(actionsClaims({ iss: "https://accounts.google.com" }))],
    [
      "an expired token",
      async () =>
        github.sign(actionsClaims(), {
          issuedAt: new Date(Date.now() - 7200_000),
          expiresAt: new Date(Date.now() - 3600_000),
        }),
    ],
    ["a key not in the key set", async () => (await createTestOidcIssuer("gh-key")).sign(actionsClaims())],
  ])("an OIDC token with %s is a 401 problem", async (_case, token) => {
    const response = await sign({ reference: "ghcr.io/acme/app:v2" }, await token());
    expect(response.status).toBe(401);
    expect((await problemOf(response)).type).toBe("urn:countersign:problem:unauthorized");
    expect(h.queue.jobs).toEqual([]);
  });

  it("without credentials, or with a wrong token: 401 with a bearer challenge", async () => {
    for (const token of [undefined, `${API_TOKEN}x`, "short"]) {
      const response = await sign({ reference: "127.0.0.1:5000/team/app:v1" }, token);
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(JSON.stringify(await problemOf(response))).not.toContain(API_TOKEN);
    }
    expect(await h.store.listJobs()).toEqual([]);
  });

  it.each([
    ["an unconfigured registry", "evil.example/team/app:v1"],
    ["a repository outside the registry's globs", "ghcr.io/other/app:v1"],
    ["a cosign signature tag", `127.0.0.1:5000/team/app:sha256-${"ab".repeat(32)}.sig`],
  ])("%s is a 403 problem and stores nothing", async (_case, reference) => {
    const response = await sign({ reference }, API_TOKEN);
    expect(response.status).toBe(403);
    expect((await problemOf(response)).type).toBe("urn:countersign:problem:reference-not-allowed");
    expect(await h.store.listJobs()).toEqual([]);
  });

  it.each([
    ["no reference", {}, "reference"],
    ["an unknown format", { reference: "127.0.0.1:5000/a:b", formats: ["pgp"] }, "formats.0"],
    ["an unknown field", { reference: "127.0.0.1:5000/a:b", sign: true }, ""],
    ["a non-boolean recursive", { reference: "127.0.0.1:5000/a:b", recursive: "yes" }, "recursive"],
  ])("%s is a 400 problem naming the field", async (_case, body, path) => {
    const response = await sign(body, API_TOKEN);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.type).toBe("urn:countersign:problem:invalid-request");
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });

  it("a body over 64 KiB is a 413 problem", async () => {
    const response = await sign({ reference: "127.0.0.1:5000/a:b", padding: "x".repeat(70_000) }, API_TOKEN);
    expect(response.status).toBe(413);
    expect((await problemOf(response)).type).toBe("urn:countersign:problem:payload-too-large");
  });

  it("an invalid reference or malformed JSON is a 400 problem, a non-JSON body a 415", async () => {
    const invalid = await sign({ reference: "127.0.0.1:5000/Team/app:v1" }, API_TOKEN);
    expect((await problemOf(invalid)).type).toBe("urn:countersign:problem:invalid-reference");
    const malformed = await sign("{", API_TOKEN);
    expect(malformed.status).toBe(400);
    expect((await problemOf(malformed)).detail).toContain("Malformed JSON");
    const text = await sign("reference=x", API_TOKEN, { "content-type": "text/plain" });
    expect(text.status).toBe(415);
    expect((await problemOf(text)).type).toBe("urn:countersign:problem:unsupported-media-type");
    expect(await h.store.listJobs()).toEqual([]);
  });

  it("a sha512 digest is a 400 problem on every route: the service signs sha256 digests", async () => {
    const ref = `127.0.0.1:5000/team/app@sha512:${"a".repeat(128)}`;
    const reads = ["/v1/attachments", "/v1/verify"].map((path) =>
      request(`${path}?ref=${ref}`, { token: API_TOKEN }),
    );
    for (const response of [await sign({ reference: ref }, API_TOKEN), ...(await Promise.all(reads))]) {
      expect(response.status).toBe(400);
      expect((await problemOf(response)).detail).toContain("only sha256 digests are supported");
    }
    expect(await h.store.listJobs()).toEqual([]);
    expect(h.operations.calls).toEqual([]);
  });
});

describe("jobs", () => {
  it("GET /v1/jobs/:id answers the job; an unknown id is a 404 problem", async () => {
    const { jobId } = (await (await sign({ reference: "127.0.0.1:5000/team/app:v1" }, API_TOKEN)).json()) as {
      jobId: string;
    };
    const found = await request(`/v1/jobs/${jobId}`, { token: API_TOKEN });
    expect(found.status).toBe(200);
    expect(((await found.json()) as { id: string; status: string }).id).toBe(jobId);
    const missing = await request("/v1/jobs/00000000-0000-4000-8000-000000000000", { token: API_TOKEN });
    expect(missing.status).toBe(404);
    expect((await problemOf(missing)).type).toBe("urn:countersign:problem:job-not-found");
  });

  it("GET /v1/jobs lists by status; a bad status is a 400 problem", async () => {
    await sign({ reference: "127.0.0.1:5000/team/app:v1" }, API_TOKEN);
    await sign({ reference: "127.0.0.1:5000/team/app:v2" }, API_TOKEN);
    const queued = (await (await request("/v1/jobs?status=queued", { token: API_TOKEN })).json()) as {
      jobs: { request: { reference: string } }[];
    };
    expect(queued.jobs.map((job) => job.request.reference).sort()).toEqual(["v1", "v2"]);
    const done = (await (await request("/v1/jobs?status=succeeded", { token: API_TOKEN })).json()) as {
      jobs: [];
    };
    expect(done.jobs).toEqual([]);
    const bad = await request("/v1/jobs?status=bogus", { token: API_TOKEN });
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).errors?.[0]?.path).toBe("status");
  });

  it("reads need credentials when API credentials are configured", async () => {
    expect((await request("/v1/jobs")).status).toBe(401);
    expect((await request("/v1/attachments?ref=127.0.0.1:5000/a:b")).status).toBe(401);
    expect(h.operations.calls).toEqual([]);
  });
});

describe("registry reads", () => {
  it("GET /v1/attachments and /v1/verify call the injected operations", async () => {
    h.operations.attachmentsResult = [
      {
        subject: DIGEST,
        digest: `sha256:${"cd".repeat(32)}`,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactType: "application/vnd.cncf.notary.signature",
        format: "notary",
        created: "2025-01-01T00:00:00Z",
        signingKey: h.signer.keyId,
        foundVia: "referrers-tag",
      },
    ];
    h.operations.verifyResult = {
      reference: "127.0.0.1:5000/team/app:v1",
      digest: DIGEST,
      verified: true,
      formats: [
        {
          format: "notary",
          verified: true,
          signatures: [{ format: "notary", digest: DIGEST, ok: true, detail: "ok" }],
        },
      ],
    };
    const attachments = await request("/v1/attachments?ref=127.0.0.1:5000/team/app:v1", { token: API_TOKEN });
    expect(attachments.status).toBe(200);
    expect(await attachments.json()).toEqual({
      reference: "127.0.0.1:5000/team/app:v1",
      attachments: h.operations.attachmentsResult,
    });
    const verify = await request("/v1/verify?ref=127.0.0.1:5000/team/app:v1", { token: API_TOKEN });
    expect(await verify.json()).toEqual(h.operations.verifyResult);
    expect(h.operations.calls).toEqual([
      { operation: "attachments", ref: "127.0.0.1:5000/team/app:v1" },
      { operation: "verify", ref: "127.0.0.1:5000/team/app:v1" },
    ]);
  });

  it("an unconfigured registry is refused before any operation runs; a missing ref is a 400", async () => {
    const refused = await request("/v1/verify?ref=169.254.169.254/latest:x", { token: API_TOKEN });
    expect(refused.status).toBe(403);
    const missing = await request("/v1/attachments", { token: API_TOKEN });
    expect(missing.status).toBe(400);
    expect((await problemOf(missing)).errors?.[0]?.path).toBe("ref");
    expect(h.operations.calls).toEqual([]);
  });

  it("a repository outside the registry's allowed repositories is a 403 before any operation runs", async () => {
    for (const path of ["/v1/verify", "/v1/attachments"]) {
      const refused = await request(`${path}?ref=ghcr.io/other/app:v1`, { token: API_TOKEN });
      expect(refused.status, path).toBe(403);
      const body = await problemOf(refused);
      expect(body.type).toBe("urn:countersign:problem:reference-not-allowed");
      expect(body.detail).toContain('repository "other/app" is not allowed on ghcr.io');
    }
    expect(h.operations.calls).toEqual([]);
    const allowed = await request("/v1/attachments?ref=ghcr.io/acme/app:v1", { token: API_TOKEN });
    expect(allowed.status).toBe(200);
    expect(h.operations.calls).toEqual([{ operation: "attachments", ref: "ghcr.io/acme/app:v1" }]);
  });
});

describe("public endpoints", () => {
  it("GET /v1/keys and /.well-known/jwks.json serve the signer's public key without credentials", async () => {
    const info = await h.signer.publicKey();
    const keys = (await (await request("/v1/keys")).json()) as {
      keys: { keyId: string; pem: string; jwk: unknown }[];
    };
    expect(keys.keys).toEqual([{ keyId: h.signer.keyId, algorithm: "ES256", pem: info.pem, jwk: info.jwk }]);
    const jwks = (await (await request("/.well-known/jwks.json")).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual([h.signer.keyId]);
    expect(jwks.keys[0]?.d).toBeUndefined();
  });

  it("GET /healthz reports the store, 503 once it is gone", async () => {
    const ok = await request("/healthz");
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: "ok", store: "ok" });
    h.store.close();
    const down = await request("/healthz");
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: "unavailable", store: "unavailable" });
  });
});

describe("without API credentials configured", () => {
  it("reads are open and signing on demand is refused", async () => {
    h.close();
    h = await createAppHarness({ registries: [{ host: "127.0.0.1:*" }], webhooks: [] } as ConfigInput);
    expect((await request("/v1/jobs")).status).toBe(200);
    const response = await sign({ reference: "127.0.0.1:5000/team/app:v1" });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).detail).toContain("no API credentials are configured");
  });
});

describe("GitHub Actions key set fetched from the issuer", () => {
  let server: Server;
  let issuer: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/.well-known/jwks") {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(github.jwks));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("verifies a token against the keys served at <issuer>/.well-known/jwks", async () => {
    h.close();
    h = await createAppHarness(config(issuer), { env: { API_TOKEN } });
    const token = await github.sign(actionsClaims({ iss: issuer }));
    expect((await sign({ reference: "ghcr.io/acme/app:v2" }, token)).status).toBe(202);
  });

  it("an unreachable key set is a 503 problem, not a 401", async () => {
    h.close();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadIssuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    h = await createAppHarness(config(deadIssuer), { env: { API_TOKEN } });
    const response = await sign(
      { reference: "ghcr.io/acme/app:v2" },
      await github.sign(actionsClaims({ iss: deadIssuer })),
    );
    expect(response.status).toBe(503);
    expect((await problemOf(response)).type).toBe("urn:countersign:problem:auth-unavailable");
  });
});
