// What every repository operation needs: where the repository is, how to send requests, the limits,
// and what has been learnt about the registry (shared by all repositories of one RegistryClient).
import type { RepositoryRoutes } from "./routes.ts";
import type { Transport } from "./transport.ts";

export interface RegistryLimits {
  /** Manifests above this are refused in both directions (distribution-spec: "at least 4 MiB"). */
  readonly manifestBytes: number;
  /** Blobs up to this size go in one request; larger ones are uploaded in PATCH chunks of this size. */
  readonly chunkBytes: number;
  /** Blobs up to this size try the single-POST upload (end-4b) before the registry is known to refuse it. */
  readonly singlePostBytes: number;
  /** Times a cut blob download is resumed with a Range request. */
  readonly blobResumes: number;
}

export const DEFAULT_LIMITS: RegistryLimits = {
  manifestBytes: 4 * 1024 * 1024,
  chunkBytes: 8 * 1024 * 1024,
  singlePostBytes: 256 * 1024,
  blobResumes: 5,
};

/** Learnt per registry and cached for the client's lifetime. */
export class RegistryCapabilities {
  /** The referrers API answered (true) or 404 (false); undefined until asked. */
  referrersApi: boolean | undefined;
  /** A monolithic POST with `?digest=` completed with 201 (true) or opened a session with 202 (false). */
  singlePostUpload: boolean | undefined;
  /** A manifest PUT with a wrong If-Match was refused with 412 (true) or accepted (false). */
  conditionalWrites: boolean | undefined;
  /** `<repository>@<digest>` of blobs seen present lately: the `{}` config every artifact shares is asked for once. */
  readonly knownBlobs = new RecentSet(1024);
}

/** A set that forgets its oldest members beyond `limit` (insertion order). */
export class RecentSet {
  readonly #limit: number;
  readonly #members = new Set<string>();
  constructor(limit: number) {
    this.#limit = limit;
  }
  has(member: string): boolean {
    return this.#members.has(member);
  }
  add(member: string): void {
    this.#members.delete(member);
    this.#members.add(member);
    if (this.#members.size > this.#limit) this.#members.delete(this.#members.values().next().value as string);
  }
  delete(member: string): void {
    this.#members.delete(member);
  }
}

export interface RepositoryContext extends RepositoryRoutes {
  readonly registry: string;
  readonly transport: Transport;
  readonly limits: RegistryLimits;
  readonly capabilities: RegistryCapabilities;
  readonly pullScopes: readonly string[];
  readonly pushScopes: readonly string[];
  readonly deleteScopes: readonly string[];
}
