// Validates what we write against the OCI image-spec JSON schemas (the shared folder's spec/image-spec-schema),
// plus the few image-spec MUSTs the schemas do not encode. Tests call it on every manifest and index.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Descriptor, ImageIndex, ImageManifest } from "../../../lib/oci/descriptor.ts";
import { MediaType } from "../../../lib/oci/media-types.ts";
import { sharedPath } from "../shared-data.ts";

/** The schema directory: `$OCI_SCHEMA_DIR`, else the shared folder's `spec/image-spec-schema`. */
export const schemaDir = process.env.OCI_SCHEMA_DIR ?? sharedPath("spec", "image-spec-schema");

const SchemaBase = "https://opencontainers.org/schema/";

export class OciSchemaError extends Error {
  override readonly name = "OciSchemaError";
  readonly problems: readonly string[];
  constructor(what: string, problems: readonly string[]) {
    super(`${what} is not valid:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

type Schema = Record<string, unknown>;

// The files are draft-04 with nested `id`s that disagree about the base URI (content-descriptor.json
// says /schema/descriptor, the index's items say /schema/image/manifestDescriptor); image-spec's own Go
// validator ignores them and resolves `$ref` by file name. We do the same: each file gets `$id` =
// base + file name, nested `id`s go. Draft-04 and draft-07 agree on every keyword these files use.
function normalize(schema: Schema, fileName?: string): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "id" || key === "$schema") continue;
    if (key === "properties" || key === "patternProperties" || key === "definitions") {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([k, v]) => [k, normalize(v as Schema)]),
      );
    } else if (key === "items" && !Array.isArray(value)) {
      out[key] = normalize(value as Schema);
    } else if ((key === "oneOf" || key === "anyOf" || key === "allOf") && Array.isArray(value)) {
      out[key] = value.map((item) => normalize(item as Schema));
    } else {
      out[key] = value;
    }
  }
  if (fileName !== undefined) out.$id = SchemaBase + fileName;
  return out;
}

let compiled: { manifest: ValidateFunction; index: ValidateFunction } | undefined;

function validators(): { manifest: ValidateFunction; index: ValidateFunction } {
  if (compiled) return compiled;
  if (!existsSync(join(schemaDir, "image-manifest-schema.json"))) {
    throw new Error(
      `OCI image-spec schemas not found in ${schemaDir}: set OCI_SCHEMA_DIR to a copy of ` +
        "image-spec's schema/*.json (github.com/opencontainers/image-spec/tree/main/schema)",
    );
  }
  // `media` (defs.json base64) is a hyper-schema annotation, not a validation keyword.
  const ajv = new Ajv({ allErrors: true, strict: false });
  const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
  addFormats(ajv);
  for (const file of readdirSync(schemaDir).filter((name) => name.endsWith(".json"))) {
    ajv.addSchema(normalize(JSON.parse(readFileSync(join(schemaDir, file), "utf8")) as Schema, file));
  }
  const get = (file: string) => {
    const validate = ajv.getSchema(SchemaBase + file);
    if (!validate) throw new Error(`schema ${file} missing from ${schemaDir}`);
    return validate;
  };
  compiled = { manifest: get("image-manifest-schema.json"), index: get("image-index-schema.json") };
  return compiled;
}

function parse(bytes: Uint8Array | string, what: string): unknown {
  const text = typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OciSchemaError(what, [`not JSON: ${(error as Error).message}`]);
  }
}

function schemaProblems(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}`);
}

// descriptor.md: registered algorithms are sha256 (64 lowercase hex) and sha512 (128); the schema's
// pattern accepts any `alg:encoded`, image-spec's Go validator parses the digest strictly.
const DigestPattern = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function descriptorProblems(path: string, descriptor: Descriptor | undefined): string[] {
  if (!descriptor || DigestPattern.test(descriptor.digest)) return [];
  return [`${path}/digest "${descriptor.digest}" is not a registered sha256/sha512 digest`];
}

/** Everything wrong with `bytes` as an OCI image manifest (empty when valid). */
export function manifestProblems(bytes: Uint8Array | string): string[] {
  const manifest = parse(bytes, "manifest") as ImageManifest;
  const validate = validators().manifest;
  if (!validate(manifest)) return schemaProblems(validate.errors);
  const problems = [
    ...descriptorProblems("/config", manifest.config),
    ...manifest.layers.flatMap((layer, i) => descriptorProblems(`/layers/${i}`, layer)),
    ...descriptorProblems("/subject", manifest.subject),
  ];
  // manifest.md: mediaType "MUST" be the manifest type when used.
  if (manifest.mediaType !== undefined && manifest.mediaType !== MediaType.OciManifest) {
    problems.push(`/mediaType "${manifest.mediaType}" is not ${MediaType.OciManifest}`);
  }
  // manifest.md, artifactType: "MUST be set when config.mediaType is set to the empty value".
  if (manifest.config.mediaType === MediaType.OciEmpty && manifest.artifactType === undefined) {
    problems.push("/artifactType missing while config.mediaType is the empty media type");
  }
  return problems;
}

/** Everything wrong with `bytes` as an OCI image index (empty when valid). */
export function indexProblems(bytes: Uint8Array | string): string[] {
  const index = parse(bytes, "index") as ImageIndex;
  const validate = validators().index;
  if (!validate(index)) return schemaProblems(validate.errors);
  const problems = [
    ...index.manifests.flatMap((entry, i) => descriptorProblems(`/manifests/${i}`, entry)),
    ...descriptorProblems("/subject", index.subject),
  ];
  if (index.mediaType !== undefined && index.mediaType !== MediaType.OciIndex) {
    problems.push(`/mediaType "${index.mediaType}" is not ${MediaType.OciIndex}`);
  }
  return problems;
}

/** Throws OciSchemaError listing every problem unless `bytes` is a valid OCI image manifest. */
export function assertValidManifest(bytes: Uint8Array | string): ImageManifest {
  const problems = manifestProblems(bytes);
  if (problems.length > 0) throw new OciSchemaError("image manifest", problems);
  return parse(bytes, "manifest") as ImageManifest;
}

/** Throws OciSchemaError listing every problem unless `bytes` is a valid OCI image index. */
export function assertValidIndex(bytes: Uint8Array | string): ImageIndex {
  const problems = indexProblems(bytes);
  if (problems.length > 0) throw new OciSchemaError("image index", problems);
  return parse(bytes, "index") as ImageIndex;
}
