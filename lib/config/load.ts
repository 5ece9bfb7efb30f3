// Turns configuration text's parsed value into a Config, or a ConfigError naming each bad field as a
// path (`registries[0].host: …`). Messages come from the schema, never from input values, so a
// misplaced secret cannot leak through an error.
import type { z } from "zod";
import { type Config, configSchema } from "./schema.ts";
import type { SecretResolver } from "./secret.ts";

export interface ConfigIssue {
  /** `registries[0].credentials.password`, or `(root)`. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: readonly ConfigIssue[];
  constructor(source: string, issues: readonly ConfigIssue[], options?: ErrorOptions) {
    // One line per issue, each naming the source and the field, so that one mistake is one line.
    const lines = issues.map((issue) => `${source ? `${source}: ` : ""}${issue.path}: ${issue.message}`);
    super(lines.join("\n"), options);
    this.issues = issues;
  }
}

export interface ParseConfigOptions {
  /** Named in the error message (a file path). */
  readonly source?: string;
}

/** Validates `input` (a parsed JSON/YAML document; null or undefined for an empty file) and resolves its secrets. */
export async function parseConfig(
  input: unknown,
  resolver: SecretResolver,
  options: ParseConfigOptions = {},
): Promise<Config> {
  const result = await configSchema(resolver).safeParseAsync(input ?? {});
  if (result.success) return result.data;
  throw new ConfigError(options.source ?? "", configIssues(result.error.issues));
}

/** `["registries", 0, "host"]` → `registries[0].host`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_$][\w$]*$/.test(segment))
      text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text || "(root)";
}

export function configIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  return issues.flatMap((issue) => describeIssue(issue, [...prefix, ...issue.path]));
}

function describeIssue(issue: z.core.$ZodIssue, path: readonly PropertyKey[]): ConfigIssue[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: "unknown field" }));
  }
  if (issue.code === "invalid_union") {
    const branch = closestBranch(issue.errors);
    if (branch !== undefined) return configIssues(branch, path);
  }
  return [{ path: formatPath(path), message: issue.message }];
}

/**
 * The union alternative the input came closest to: the one whose problems are all below its root
 * (the input had the right shape and failed on a field), with the fewest problems. When every
 * alternative fails at its root, the union's own message says more.
 */
function closestBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  // A union of unions fails with one root-level union issue per inner union: look inside those.
  const flatten = (issues: readonly z.core.$ZodIssue[]): (readonly z.core.$ZodIssue[])[] => {
    const [only] = issues;
    return issues.length === 1 && only?.code === "invalid_union" && only.path.length === 0
      ? only.errors.flatMap(flatten)
      : [issues];
  };
  const flattened = branches.flatMap(flatten);
  const nested = flattened.filter(
    (issues) =>
      issues.length > 0 && issues.every((issue) => issue.path.length > 0 || issue.code === "custom"),
  );
  return nested.sort((a, b) => a.length - b.length)[0];
}
