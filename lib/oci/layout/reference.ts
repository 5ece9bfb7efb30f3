// `oci-layout:<dir>[:<tag>|@<digest>]`, the CLI's spelling of a place in an OCI image layout (as
// oras's `--oci-layout <dir>[:tag|@digest]` and skopeo's `oci:<dir>[:tag]`). The directory may itself
// contain `:`; a suffix is taken as a tag only when it is a valid tag and holds no `/`.
import { InvalidDigestError, parseDigest } from "../digest.ts";
import { isTag } from "../grammar.ts";

export const LAYOUT_SCHEME = "oci-layout:";

export interface LayoutReference {
  readonly directory: string;
  readonly tag?: string;
  readonly digest?: string;
}

export class InvalidLayoutReferenceError extends Error {
  override readonly name = "InvalidLayoutReferenceError";
  constructor(input: string, reason: string, options?: ErrorOptions) {
    super(`invalid OCI layout reference ${JSON.stringify(input.slice(0, 200))}: ${reason}`, options);
  }
}

export function isLayoutReference(input: string): boolean {
  return input.startsWith(LAYOUT_SCHEME);
}

export function parseLayoutReference(input: string): LayoutReference {
  if (!isLayoutReference(input))
    throw new InvalidLayoutReferenceError(input, `expected ${LAYOUT_SCHEME}<dir>`);
  const rest = input.slice(LAYOUT_SCHEME.length);
  const at = rest.lastIndexOf("@");
  if (at >= 0 && /^[a-z0-9]+:/.test(rest.slice(at + 1))) {
    const digest = rest.slice(at + 1);
    try {
      parseDigest(digest);
    } catch (error) {
      if (error instanceof InvalidDigestError)
        throw new InvalidLayoutReferenceError(input, error.message, { cause: error });
      throw error;
    }
    return { directory: requireDirectory(input, rest.slice(0, at)), digest };
  }
  const colon = rest.lastIndexOf(":");
  if (colon >= 0 && isTag(rest.slice(colon + 1))) {
    return { directory: requireDirectory(input, rest.slice(0, colon)), tag: rest.slice(colon + 1) };
  }
  return { directory: requireDirectory(input, rest) };
}

export function formatLayoutReference(reference: LayoutReference): string {
  const suffix = reference.digest ? `@${reference.digest}` : reference.tag ? `:${reference.tag}` : "";
  return `${LAYOUT_SCHEME}${reference.directory}${suffix}`;
}

function requireDirectory(input: string, directory: string): string {
  if (directory === "") throw new InvalidLayoutReferenceError(input, "the directory is empty");
  if (directory.includes("\0")) throw new InvalidLayoutReferenceError(input, "the directory contains NUL");
  return directory;
}
