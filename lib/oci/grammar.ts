// The names a registry speaks, as the distribution grammar defines them (distribution/reference
// regexp.go; OCI distribution-spec "Pulling manifests": `<name>` components), written once: image
// references, webhook payloads, queue messages and OCI layouts all check against these. Lengths are
// bounded before any pattern runs. Digests of what Countersign signs are sha256 (the only algorithm
// signature subjects use); lib/oci/digest.ts reads any registered algorithm for copying content.
import { z } from "zod";
import { isSha256Digest } from "./digest.ts";

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const pathComponentPattern = new RegExp(`^${pathComponent}$`);
const repositoryPattern = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const hostNamePattern = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])$`);
const hostPattern = new RegExp(
  `^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::([0-9]{1,5}))?$`,
);
const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
// image-spec descriptor.md: digest ::= algorithm ":" encoded
const digestPattern = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** distribution-spec: a repository name is at most 255 characters in practice (reference.NameTotalLengthMax). */
export const MAX_REPOSITORY_LENGTH = 255;
const MAX_HOST_LENGTH = 261; // 253 for the DNS name, ":" and 5 digits of port, or a bracketed IPv6 literal.

/** One `/`-separated component of a repository name. */
export function isPathComponent(value: string): boolean {
  return pathComponentPattern.test(value);
}

/** A host name or bracketed IPv6 literal, without a port. */
export function isHostName(value: string): boolean {
  return value.length <= MAX_HOST_LENGTH && hostNamePattern.test(value);
}

export function isTag(value: string): boolean {
  return tagPattern.test(value);
}

/** Why `value` is not a repository name, or undefined when it is one. */
export function repositoryProblem(value: string): string | undefined {
  if (value.length === 0) return "repository name is empty";
  if (value.length > MAX_REPOSITORY_LENGTH)
    return `repository name exceeds ${MAX_REPOSITORY_LENGTH} characters`;
  if (!repositoryPattern.test(value)) {
    return "not a repository name (lowercase components of [a-z0-9] joined by '.', '_', '__' or '-', separated by '/')";
  }
  return undefined;
}

export function tagProblem(value: string): string | undefined {
  return isTag(value) ? undefined : "not a tag (1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-')";
}

/** Why `value` is not the digest of something Countersign signs (sha256), or undefined. */
export function digestProblem(value: string): string | undefined {
  if (isSha256Digest(value)) return undefined;
  if (value.length <= 200 && digestPattern.test(value) && !value.startsWith("sha256:")) {
    return "only sha256 digests are supported";
  }
  return "not a sha256 digest (sha256:<64 lowercase hex>)";
}

/** Why `value` is not `host[:port]`, or undefined. A host names a registry, never a path or user info. */
export function hostProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > MAX_HOST_LENGTH) return "not a registry host";
  const match = hostPattern.exec(value);
  if (!match) return "not a registry host (host or host:port)";
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return "port out of range";
  return undefined;
}

/** Tag fields that some senders fill with the digest, or leave empty, when there is no tag. */
export function isDigestLike(value: string): boolean {
  return digestPattern.test(value);
}

function checked(problem: (value: string) => string | undefined) {
  return z
    .string()
    .max(1024)
    .superRefine((value, ctx) => {
      const message = problem(value);
      if (message) ctx.addIssue({ code: "custom", message });
    });
}

// The same grammar as zod fields, for the schemas of every edge (webhook payloads, queue messages).
export const repositoryName = checked(repositoryProblem);
export const tagName = checked(tagProblem);
export const sha256Digest = checked(digestProblem);
/** Hosts are case-insensitive; lowercased so that policy compares one spelling. */
export const registryHost = checked(hostProblem).transform((host) => host.toLowerCase());
