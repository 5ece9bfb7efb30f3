// The `/docs` page, rendered on the server from the OpenAPI document: plain HTML and inline CSS, no
// script and nothing loaded from elsewhere, so it works offline, behind strict egress rules and under
// a `default-src 'none'` content security policy.
import { ProblemTypes } from "./problem.ts";

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly description?: string;
  readonly schema?: unknown;
}

interface MediaContent {
  readonly schema?: unknown;
}

interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly security?: readonly Record<string, unknown>[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly description?: string; readonly content?: Record<string, MediaContent> };
  readonly responses?: Record<
    string,
    { readonly description?: string; readonly content?: Record<string, MediaContent> }
  >;
}

/** The parts of an OpenAPI 3.1 document the page shows. */
export interface OpenApiDocumentView {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly paths?: Record<string, Record<string, Operation | undefined> | undefined>;
  readonly components?: { readonly schemas?: Record<string, unknown> };
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function schemaName(schema: unknown): string {
  if (schema !== null && typeof schema === "object" && "$ref" in schema) {
    const name =
      String((schema as { $ref: unknown }).$ref)
        .split("/")
        .pop() ?? "";
    return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema !== null && typeof schema === "object" && "type" in schema) {
    return escapeHtml(String((schema as { type: unknown }).type));
  }
  return "";
}

function content(media: Record<string, MediaContent> | undefined): string {
  if (media === undefined) return "";
  return Object.entries(media)
    .map(([type, { schema }]) => `<code>${escapeHtml(type)}</code> ${schemaName(schema)}`)
    .join("<br>");
}

/** What to write in a cell that has nothing to say: a blank cell reads as a rendering fault. */
const NONE = "—";

/** The parameter's description (zod-openapi may leave it on the schema), its constraints and an example. */
function parameterDetail(p: Parameter): string {
  const schema = (p.schema ?? {}) as {
    description?: string;
    example?: unknown;
    minLength?: number;
    maxLength?: number;
    minimum?: number;
    maximum?: number;
  };
  const parts = [escapeHtml(p.description ?? schema.description ?? "")];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    parts.push(escapeHtml(`${schema.minLength ?? 0} to ${schema.maxLength ?? "any number of"} characters`));
  }
  if (schema.minimum !== undefined || schema.maximum !== undefined) {
    parts.push(escapeHtml(`from ${schema.minimum ?? "any"} to ${schema.maximum ?? "any"}`));
  }
  if (schema.example !== undefined) parts.push(`e.g. <code>${escapeHtml(String(schema.example))}</code>`);
  return parts.filter((part) => part !== "").join("; ") || NONE;
}

function parametersTable(parameters: readonly Parameter[]): string {
  if (parameters.length === 0) return "";
  const rows = parameters.map(
    (p) =>
      `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td>${schemaName(p.schema) || NONE}</td><td>${parameterDetail(p)}</td></tr>`,
  );
  return `<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th>description</th></tr>${rows.join("")}</table>`;
}

function operationSection(method: string, path: string, op: Operation): string {
  const id = `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
  const access = op.security && op.security.length > 0 ? "bearer token" : "public";
  const body = op.requestBody
    ? `<p><b>Body</b> ${content(op.requestBody.content)} ${escapeHtml(op.requestBody.description ?? "")}</p>`
    : "";
  const responses = Object.entries(op.responses ?? {})
    .map(
      ([status, r]) =>
        `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(r.description ?? "") || NONE}</td><td>${content(r.content) || "no body"}</td></tr>`,
    )
    .join("");
  return `<section id="${escapeHtml(id)}">
<h3><span class="method">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? "")} <span class="access">(${access})</span></p>
${op.description ? `<p>${escapeHtml(op.description)}</p>` : ""}
${parametersTable(op.parameters ?? [])}
${body}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>${responses}</table>
</section>`;
}

function problemTable(): string {
  const rows = Object.values(ProblemTypes).map(
    (p) =>
      `<tr id="problem-${escapeHtml(p.type.split(":").pop() ?? "")}"><td><code>${escapeHtml(p.type)}</code></td><td>${p.status}</td><td>${escapeHtml(p.title)}</td></tr>`,
  );
  return `<table><tr><th>type</th><th>status</th><th>title</th></tr>${rows.join("")}</table>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.75rem;overflow:auto}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
.method{font-weight:bold;color:#05a}.access{color:#666}section{border-top:1px solid #eee;padding-top:.5rem}`;

export function renderDocsPage(document: OpenApiDocumentView): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (op === undefined) continue;
      const tag = op.tags?.[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationSection(method, path, op)]);
    }
  }
  const operations = [...byTag].map(([tag, sections]) => `<h2>${escapeHtml(tag)}</h2>${sections.join("\n")}`);
  const schemas = Object.entries(document.components?.schemas ?? {}).map(
    ([name, schema]) =>
      `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(document.info.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${escapeHtml(document.info.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
${operations.join("\n")}
<h2>Problem types</h2>
<p>Every error is <code>application/problem+json</code> (RFC 9457) with <code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code> and <code>instance</code> (the request id, also in <code>X-Request-Id</code>).</p>
${problemTable()}
<h2>Schemas</h2>
${schemas.join("\n")}
</body></html>`;
}
