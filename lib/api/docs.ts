// The API description: `/openapi.json` generated from the declared routes, and `/docs` rendered from
// it on the server (no scripts, no CDN).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { PUBLIC_PATHS } from "./access.ts";
import { type OpenApiDocumentView, renderDocsPage } from "./docs-page.ts";
import type { AppEnv } from "./env.ts";
import { BEARER_SCHEME, json } from "./openapi.ts";

const DESCRIPTION = `Countersign signs container images when they are pushed and attaches the signatures to the registry as OCI 1.1 referrers.
Public (no credentials ever): ${PUBLIC_PATHS.join(", ")}. Webhooks authenticate their senders themselves.
POST /v1/signatures always needs a bearer credential (an API token, or a GitHub Actions OIDC token admitted by the claim policy); every other endpoint needs one when API credentials are configured.`;

export const openApiRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  tags: ["operations"],
  summary: "This API's OpenAPI 3.1 description",
  responses: {
    200: json("The OpenAPI document.", z.record(z.string(), z.unknown()).openapi({ type: "object" })),
  },
});

export const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  tags: ["operations"],
  summary: "Human-readable API documentation (static HTML, no scripts)",
  responses: {
    200: { description: "The documentation page.", content: { "text/html": { schema: z.string() } } },
  },
});

type OpenApiDocument = ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>;

export function docsRoutes(app: OpenAPIHono<AppEnv>, version: string): void {
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    description: "An API token from `api.tokens`, or a GitHub Actions OIDC token (`api.githubOidc`).",
  });
  let document: OpenApiDocument | undefined;
  let page: string | undefined;
  // Generated on first request, after every route is registered, then reused.
  const openApi = () => {
    document ??= app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: { title: "Countersign", version, description: DESCRIPTION },
      tags: [
        { name: "webhooks", description: "Registry push notifications." },
        { name: "signatures", description: "Sign on demand, list attachments, verify." },
        { name: "jobs", description: "Attach jobs and their outcomes." },
        { name: "keys", description: "Public keys of the signer." },
        { name: "operations", description: "Health, metrics, this description." },
      ],
    });
    return document;
  };

  app.openapi(openApiRoute, (c) => c.json(openApi() as unknown as Record<string, unknown>, 200));

  app.openapi(docsRoute, (c) => {
    page ??= renderDocsPage(openApi() as unknown as OpenApiDocumentView);
    // Nothing on the page needs more than inline CSS.
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(page, 200);
  });
}
