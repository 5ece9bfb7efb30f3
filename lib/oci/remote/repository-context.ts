// What every repository operation needs: where the repository is, how to send requests, the limits,
// and what has been learnt about the registry (shared by all repositories of one RegistryClient).
import type { FetchedManifest } from "../target.ts";
import type { RepositoryRoutes } from "./routes.ts";
import type { Transport } from "./transport.ts";

export interface RegistryLimits {
  /** Manifests above this are refused in both directions (distribution-spec: "at least 4 MiB"). */
  readonly manifestBytes: number;
  /** Blobs in memory up to this size go in one request without a session round trip of their own. */
  readonly chunkBytes: number;
  /**
   * Blobs up to this size are sent in one PUT, streamed as they are read (a copy holds no more of them
   * than the stream's buffers); larger ones in PATCH chunks of `chunkBytes`, for registries that limit
   * a request's size.
   */
  readonly monolithicBytes: number;
  /** Blobs up to this size try the single-POST upload (end-4b) before the registry is known to refuse it. */
  readonly singlePostBytes: number;
  /** Times a cut blob download is resumed with a Range request. */
  readonly blobResumes: number;
}

export const DEFAULT_LIMITS: RegistryLimits = {
  manifestBytes: 4 * 1024 * 1024,
  chunkBytes: 8 * 1024 * 1024,
  monolithicBytes: 4 * 1024 * 1024 * 1024,
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
  /**
   * Manifests read by digest lately, `<repository>@<digest>`: content-addressed, so always right for
   * that digest. Many tags of one image are many webhook deliveries: the image is fetched once.
   */
  readonly manifests = new ManifestCache(8 * 1024 * 1024, 10 * 60_000);
}

/** Recently fetched manifests up to a total size and an age, oldest first out. */
export class ManifestCache {
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  readonly #entries = new Map<string, { value: FetchedManifest; at: number }>();
  #bytes = 0;
  constructor(maxBytes: number, maxAgeMs: number) {
    this.#maxBytes = maxBytes;
    this.#maxAgeMs = maxAgeMs;
  }
  get(key: string): FetchedManifest | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() - entry.at > this.#maxAgeMs) {
      this.#remove(key);
      return undefined;
    }
    return entry.value;
  }
  set(key: string, value: FetchedManifest): void {
    if (value.bytes.length > this.#maxBytes / 8) return;
    this.#remove(key);
    this.#entries.set(key, { value, at: Date.now() });
    this.#bytes += value.bytes.length;
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#remove(oldest);
    }
  }
  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#bytes -= entry.value.bytes.length;
    this.#entries.delete(key);
  }
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
