// The API description: `/openapi.json` is a valid OpenAPI 3.1 document (checked against the OAS 3.1
// schema by @seriousme/openapi-schema-validator, its schemas compiled as JSON Schema 2020-12) that
// lists every route the app serves; `/docs` renders it without loading anything from elsewhere.
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../lib/config/schema.ts";
import { type AppHarness, createAppHarness } from "../support/app/harness.ts";

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

let h: AppHarness;
let document: OpenApiDocument;

beforeAll(async () => {
  h = await createAppHarness({
    registries: [{ host: "127.0.0.1:*" }],
    api: { tokens: ["api-Token-0123456789abcdef"] },
  } as ConfigInput);
  const response = await h.app.request("http://127.0.0.1:8080/openapi.json");
  expect(response.status).toBe(200);
  document = (await response.json()) as OpenApiDocument;
});

afterAll(() => {
  h.close();
});

/** The app's own routes (from its router, not from the document), as OpenAPI paths. */
function servedRoutes(): string[] {
  return h.app.routes
    .filter((route) => route.method !== "ALL")
    .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`);
}

describe("/openapi.json", () => {
  it("is valid OpenAPI 3.1 according to the OAS 3.1 schema", async () => {
    expect(document.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("the schema check catches a broken document (the validator is live)", async () => {
    const broken = structuredClone(document) as unknown as Record<string, unknown>;
    const [path] = Object.keys(document.paths);
    // An operation without `responses` and a response object without its required `description`.
    (broken.paths as Record<string, unknown>)[path!] = { get: { responses: { "200": {} } } };
    const result = await new Validator().validate(broken);
    expect(result.valid).toBe(false);
  });

  it("declares every templated path parameter and uses unique operationIds", () => {
    const operationIds: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of Object.entries(item)) {
        const op = operation as { operationId?: string; parameters?: Array<{ name: string; in: string }> };
        if (op.operationId !== undefined) operationIds.push(op.operationId);
        const declared = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
        expect(new Set(declared), `${method} ${path}`).toEqual(new Set(templated));
      }
    }
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it("lists every route the app serves, with its method", () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    const served = servedRoutes();
    expect(served.length).toBeGreaterThanOrEqual(12);
    expect(new Set(documented)).toEqual(new Set(served));
  });

  it("describes every error response as problem+json", () => {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400 || path === "/healthz") continue;
          expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual([
            "application/problem+json",
          ]);
        }
      }
    }
  });

  it("has component schemas that compile as JSON Schema 2020-12, and only references that resolve", () => {
    const ajv = new Ajv2020.default({ strict: false });
    addFormats.default(ajv);
    // An id for resolving `#/components/…` references only; nothing is fetched.
    const id = "https://countersign.invalid/openapi.json";
    ajv.addSchema({ $id: id, components: document.components });
    for (const name of Object.keys(document.components.schemas)) {
      expect(ajv.getSchema(`${id}#/components/schemas/${name}`), name).toBeTypeOf("function");
    }
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.slice(ref.lastIndexOf("/") + 1, -1);
      expect(document.components.schemas[name], ref).toBeDefined();
    }
    expect(document.components.securitySchemes?.bearerAuth).toEqual(
      expect.objectContaining({ scheme: "bearer" }),
    );
  });

  it("is public even when API credentials are configured", async () => {
    for (const path of [
      "/openapi.json",
      "/docs",
      "/healthz",
      "/metrics",
      "/.well-known/jwks.json",
      "/v1/keys",
    ]) {
      expect((await h.app.request(`http://127.0.0.1:8080${path}`)).status, path).toBe(200);
    }
    expect((await h.app.request("http://127.0.0.1:8080/v1/jobs")).status).toBe(401);
  });
});

describe("/docs", () => {
  it("is a static HTML page listing every operation, loading nothing from anywhere", async () => {
    const response = await h.app.request("http://127.0.0.1:8080/docs");
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'unsafe-inline'",
    );
    const html = await response.text();
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=/i);
    // Only in-page and same-origin links.
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^(#|\/)/);
    for (const [path, item] of Object.entries(document.paths)) {
      expect(html).toContain(`<code>${path}</code>`);
      for (const method of Object.keys(item)) expect(html).toContain(`op-${method}-`);
    }
    expect(html).toContain("urn:countersign:problem:webhook-unauthorized");
  });
});
