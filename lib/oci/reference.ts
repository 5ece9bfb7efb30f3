// Image references, following the grammar of distribution/reference (reference.go, normalize.go):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component [ "/" path-component ]*
// with Docker's normalisation: no domain means `docker.io`, a single docker.io component gets `library/`,
// and `index.docker.io` is the legacy spelling of `docker.io`.
import { InvalidDigestError, parseDigest } from "./digest.ts";
import { digestProblem, isHostName, isPathComponent, isTag, MAX_REPOSITORY_LENGTH } from "./grammar.ts";

export const DOCKER_HUB = "docker.io";
/** Docker Hub's registry API does not live at `docker.io` (distribution/reference normalize.go). */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
const LEGACY_DOCKER_HUB = "index.docker.io";
const OFFICIAL_PREFIX = "library/";

/** reference.go: NameTotalLengthMax. */
const NAME_MAX = MAX_REPOSITORY_LENGTH;
/** Far beyond any valid reference: refuse early instead of scanning megabytes of hostile input. */
const INPUT_MAX = 1024;

const HEX_IDENTIFIER = /^[a-f0-9]{64}$/;

export class InvalidReferenceError extends Error {
  override readonly name = "InvalidReferenceError";
  readonly input: string;
  constructor(input: string, reason: string, options?: ErrorOptions) {
    super(`invalid reference ${JSON.stringify(shorten(input))}: ${reason}`, options);
    this.input = input;
  }
}

export class Reference {
  /** `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** `library/alpine`, `team/app`. */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;

  /** Use parseReference; this constructor trusts its (already validated) arguments. */
  constructor(registry: string, repository: string, tag?: string, digest?: string) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  /** `registry/repository`, the name without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** Host (and port) to send API requests to. */
  get apiHost(): string {
    return this.registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : this.registry;
  }

  /** What to put in `/v2/<name>/manifests/<reference>`: the digest wins over the tag, as in Docker. */
  get manifestReference(): string {
    return this.digest ?? this.tag ?? "latest";
  }

  withDigest(digest: string): Reference {
    parseDigest(digest);
    return new Reference(this.registry, this.repository, this.tag, digest);
  }

  withTag(tag: string): Reference {
    if (!isTag(tag)) throw new InvalidReferenceError(tag, "tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    return new Reference(this.registry, this.repository, tag, this.digest);
  }

  /** Canonical form: `docker.io/library/alpine:3.20@sha256:…`. */
  toString(): string {
    return `${this.name}${this.tag === undefined ? "" : `:${this.tag}`}${this.digest === undefined ? "" : `@${this.digest}`}`;
  }
}

/** Parses a reference the way `docker pull` does, with a precise reason when it is invalid. */
export function parseReference(input: string): Reference {
  if (typeof input !== "string" || input.length === 0) throw new InvalidReferenceError("", "empty reference");
  if (input.length > INPUT_MAX) throw new InvalidReferenceError(input, `longer than ${INPUT_MAX} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\s\u0000-\u001f\u007f]/.test(input)) {
    throw new InvalidReferenceError(input, "contains whitespace or control characters");
  }
  const { rest, digest } = splitDigest(input);
  const { name, tag } = splitTag(input, rest);
  if (name.length === 0) throw new InvalidReferenceError(input, "missing repository name");
  if (name.length > NAME_MAX) {
    throw new InvalidReferenceError(input, `repository name longer than ${NAME_MAX} characters`);
  }
  if (HEX_IDENTIFIER.test(name)) {
    throw new InvalidReferenceError(input, "a 64-character hexadecimal string is an image ID, not a name");
  }
  const { registry, repository } = splitRegistry(input, name);
  return new Reference(registry, repository, tag, digest);
}

function splitDigest(input: string): { rest: string; digest: string | undefined } {
  const at = input.indexOf("@");
  if (at === -1) return { rest: input, digest: undefined };
  const digest = input.slice(at + 1);
  if (digest.includes("@")) throw new InvalidReferenceError(input, "more than one '@'");
  try {
    parseDigest(digest);
  } catch (error) {
    const reason = error instanceof InvalidDigestError ? error.message : "bad digest";
    throw new InvalidReferenceError(input, reason, { cause: error });
  }
  return { rest: input.slice(0, at), digest };
}

function splitTag(input: string, rest: string): { name: string; tag: string | undefined } {
  const colon = rest.lastIndexOf(":");
  // A colon before the last slash belongs to the registry's port, not to a tag.
  if (colon === -1 || colon < rest.lastIndexOf("/")) return { name: rest, tag: undefined };
  const tag = rest.slice(colon + 1);
  if (!isTag(tag)) {
    const reason =
      tag.length > 128
        ? "tag longer than 128 characters"
        : `invalid tag ${JSON.stringify(shorten(tag))}: tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
    throw new InvalidReferenceError(input, reason);
  }
  return { name: rest.slice(0, colon), tag };
}

function splitRegistry(input: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf("/");
  const first = slash === -1 ? name : name.slice(0, slash);
  // normalize.go splitDockerDomain: the first component is a registry when it has a '.' or ':', is
  // `localhost`, or has uppercase letters (a repository never does).
  const isRegistry =
    slash !== -1 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let registry = isRegistry ? first : DOCKER_HUB;
  let repository = isRegistry ? name.slice(slash + 1) : name;
  if (isRegistry) validateRegistry(input, registry);
  if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = OFFICIAL_PREFIX + repository;
  validateRepository(input, repository);
  return { registry, repository };
}

function validateRegistry(input: string, registry: string): void {
  const portMatch = /^(.*?)(?::([^:\]]*))?$/.exec(registry);
  const host = portMatch?.[1] ?? registry;
  const port = portMatch?.[2];
  if (!isHostName(host))
    throw new InvalidReferenceError(input, `invalid registry host ${JSON.stringify(host)}`);
  if (port !== undefined && (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535)) {
    throw new InvalidReferenceError(input, `invalid registry port ${JSON.stringify(port)}`);
  }
}

/**
 * A reference to an image Countersign signs or verifies: as parseReference, and a digest, when named,
 * is sha256 (what the service signs; parseReference also reads sha512 for copying content).
 */
export function parseSubjectReference(input: string): Reference {
  const reference = parseReference(input);
  const problem = reference.digest === undefined ? undefined : digestProblem(reference.digest);
  if (problem !== undefined) throw new InvalidReferenceError(input, problem);
  return reference;
}

/** Throws InvalidReferenceError unless `repository` is a valid repository path (`team/app`). */
export function checkRepositoryName(repository: string): void {
  if (repository.length === 0 || repository.length > NAME_MAX) {
    throw new InvalidReferenceError(repository, `repository names are 1 to ${NAME_MAX} characters`);
  }
  validateRepository(repository, repository);
}

function validateRepository(input: string, repository: string): void {
  if (repository.toLowerCase() !== repository) {
    throw new InvalidReferenceError(input, `repository name ${JSON.stringify(repository)} must be lowercase`);
  }
  for (const component of repository.split("/")) {
    if (component.length === 0) {
      throw new InvalidReferenceError(input, "empty path component (leading, trailing or double '/')");
    }
    if (!isPathComponent(component)) {
      throw new InvalidReferenceError(
        input,
        `invalid path component ${JSON.stringify(component)}: use a-z and 0-9, separated by '.', '_', '__' or '-'`,
      );
    }
  }
}

function shorten(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
