// Secrets in configuration: written as a literal string, `{ env: NAME }` or `{ file: path }`, resolved
// once at load time through an injected resolver (process.env and the file system on Node, bindings on
// Workers), and held as a SecretValue that never prints itself.
import { z } from "zod";

/** How a runtime looks secrets up. Errors must not contain the secret (file contents never are). */
export interface SecretResolver {
  /** The variable's value, or undefined when unset. */
  env(name: string): string | undefined;
  /** The file's text; relative paths are resolved against the configuration file's directory. */
  readFile(path: string): Promise<string>;
}

const REDACTED = "[redacted]";

/** A resolved secret. `reveal()` is the only way to read it, so logging a config object is harmless. */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  // Node's util.inspect (console.log) looks this symbol up in the global registry; no node: import needed.
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `SecretValue(${REDACTED})`;
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The configuration-file form of a secret. */
export const secretReference = z
  .union(
    [
      z.string().min(1).describe("The secret itself (fine for development; prefer env or file)."),
      z
        .strictObject({
          env: z.string().regex(ENV_NAME, { error: "not an environment variable name" }),
        })
        .describe("Read from this environment variable at load time."),
      z
        .strictObject({ file: z.string().min(1) })
        .describe(
          "Read from this file at load time (relative to the configuration file); one trailing newline is dropped.",
        ),
    ],
    { error: 'expected a secret: a non-empty string, { env: "NAME" } or { file: "path" }' },
  )
  .meta({
    id: "Secret",
    description: 'A secret: "literal", { env: "NAME" } or { file: "path" }. Never printed.',
  });

export type SecretReference = z.input<typeof secretReference>;

/** Resolves a reference, reporting a problem on `ctx` (by variable or path name, never by value). */
async function resolveReference(
  reference: z.output<typeof secretReference>,
  resolver: SecretResolver,
  ctx: z.RefinementCtx,
): Promise<string | undefined> {
  if (typeof reference === "string") return reference;
  if ("env" in reference) {
    const value = resolver.env(reference.env);
    if (value === undefined || value === "") {
      ctx.addIssue({ code: "custom", message: `environment variable ${reference.env} is not set` });
      return undefined;
    }
    return value;
  }
  let text: string;
  try {
    text = await resolver.readFile(reference.file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = typeof code === "string" ? code : "unreadable";
    ctx.addIssue({
      code: "custom",
      message: `cannot read secret file ${JSON.stringify(reference.file)} (${why})`,
    });
    return undefined;
  }
  const value = text.replace(/\r?\n$/, "");
  if (value === "")
    ctx.addIssue({ code: "custom", message: `secret file ${JSON.stringify(reference.file)} is empty` });
  return value;
}

/** A secret field resolved to a SecretValue. */
export function secretField(resolver: SecretResolver) {
  return secretReference.transform(async (reference, ctx) => {
    const value = await resolveReference(reference, resolver, ctx);
    return value === undefined ? z.NEVER : new SecretValue(value);
  });
}

/**
 * A secret field resolved to a plain string and then checked by `inner`: for schemas owned elsewhere
 * (webhook sources) that take secrets as strings.
 */
export function secretString<Inner extends z.ZodType<unknown, string>>(
  resolver: SecretResolver,
  inner: Inner,
) {
  return secretReference
    .transform(async (reference, ctx) => {
      const value = await resolveReference(reference, resolver, ctx);
      return value === undefined ? z.NEVER : value;
    })
    .pipe(inner);
}

/** For schema generation and other places where nothing is resolved. */
export const unresolvedSecrets: SecretResolver = {
  env: () => undefined,
  readFile: () => Promise.reject(new Error("secrets are not resolved here")),
};
