// A full image reference `host[:port]/repository[:tag][@digest]` as GAR, Harbor and Quay put in payloads.
// Split by position, as distribution/reference does (digest after the last '@', host before the first '/',
// tag after the last ':' of the path), then each part is checked against its own grammar.
import { z } from "zod";
import { digestProblem, hostProblem, repositoryProblem, tagProblem } from "../oci/grammar.ts";

export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const MAX_REFERENCE_LENGTH = 1024;

/** The reference, or a message saying which part is wrong. */
export function parseImageReference(text: string): ImageReference | string {
  if (text.length > MAX_REFERENCE_LENGTH) return `reference exceeds ${MAX_REFERENCE_LENGTH} characters`;
  let rest = text;
  let digest: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digestProblem(digest);
    if (problem) return `digest: ${problem}`;
  }
  const slash = rest.indexOf("/");
  const host = slash >= 0 ? rest.slice(0, slash) : "";
  // distribution/reference: the first component is a host only if it has '.' or ':' or is "localhost";
  // otherwise "library/ubuntu" would name a registry called "library".
  if (slash < 0 || !(host.includes(".") || host.includes(":") || host === "localhost")) {
    return "reference has no registry host";
  }
  const hostIssue = hostProblem(host);
  if (hostIssue) return `registry: ${hostIssue}`;
  let repository = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = repository.lastIndexOf(":");
  if (colon >= 0) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
    const tagIssue = tagProblem(tag);
    if (tagIssue) return `tag: ${tagIssue}`;
  }
  const repositoryIssue = repositoryProblem(repository);
  if (repositoryIssue) return `repository: ${repositoryIssue}`;
  return {
    registry: host.toLowerCase(),
    repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

export const imageReference = z.string().transform((text, ctx): ImageReference => {
  const parsed = parseImageReference(text);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", message: parsed });
    return z.NEVER;
  }
  return parsed;
});

/** Host of an absolute http(s) URL as clients address it (default port dropped), or a problem message. */
export function hostOfUrl(text: string): { readonly host: string } | { readonly problem: string } {
  if (text.length > MAX_REFERENCE_LENGTH * 4) return { problem: "URL too long" };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: "not an absolute URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: "not an http(s) URL" };
  const problem = hostProblem(url.host);
  return problem ? { problem } : { host: url.host };
}
