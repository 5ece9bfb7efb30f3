// Registry URLs, named after the distribution-spec endpoint table (spec.md "Endpoints", end-1 … end-14).
// Repository names keep their slashes; tags and digests only contain URL-safe characters.

export interface RepositoryRoutes {
  readonly baseUrl: string;
  readonly repository: string;
}

/** end-1 */
export function versionCheckUrl(baseUrl: string): string {
  return `${baseUrl}/v2/`;
}

/** end-3, end-7, end-9 */
export function manifestUrl(r: RepositoryRoutes, reference: string): string {
  return `${r.baseUrl}/v2/${r.repository}/manifests/${reference}`;
}

/** end-2, end-10 */
export function blobUrl(r: RepositoryRoutes, digest: string): string {
  return `${r.baseUrl}/v2/${r.repository}/blobs/${digest}`;
}

/** end-4a, end-4b (`digest`), end-11 (`mount` + `from`) */
export function uploadStartUrl(r: RepositoryRoutes, query?: Readonly<Record<string, string>>): string {
  const url = new URL(`${r.baseUrl}/v2/${r.repository}/blobs/uploads/`);
  for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
  return url.href;
}

/** end-5, end-6, end-13, end-14: the session URL the registry handed out, which may be relative. */
export function uploadSessionUrl(r: RepositoryRoutes, location: string, digest?: string): string {
  const url = new URL(location, r.baseUrl);
  if (digest !== undefined) url.searchParams.set("digest", digest);
  return url.href;
}

/** end-8a, end-8b */
export function tagsUrl(r: RepositoryRoutes, pageSize?: number): string {
  const url = new URL(`${r.baseUrl}/v2/${r.repository}/tags/list`);
  if (pageSize !== undefined) url.searchParams.set("n", String(pageSize));
  return url.href;
}

/** end-12a, end-12b */
export function referrersUrl(r: RepositoryRoutes, digest: string, artifactType?: string): string {
  const url = new URL(`${r.baseUrl}/v2/${r.repository}/referrers/${digest}`);
  if (artifactType !== undefined) url.searchParams.set("artifactType", artifactType);
  return url.href;
}
