// The referrers API path (distribution 2.8, used by the integration tests, has none): pagination,
// client-side filtering when the registry did not filter, and capability caching.
import { describe, expect, it } from "vitest";
import type { Descriptor } from "../descriptor.ts";
import { referrersTag } from "../referrers-index.ts";
import { RegistryClient } from "./registry.ts";

const SUBJECT: Descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"a".repeat(64)}`,
  size: 10,
};
const entry = (n: string, artifactType: string): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${n.repeat(64)}`,
  size: 1,
  artifactType,
});

interface Page {
  readonly manifests: Descriptor[];
  readonly link?: string;
  readonly filtersApplied?: boolean;
}

function registryWith(pages: Record<string, Page>, calls: string[], status = 200): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    calls.push(`${url.pathname}${url.search}`);
    if (status !== 200) {
      return new Response(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN" }] }), { status });
    }
    const page = pages[`${url.pathname}${url.search}`];
    if (page === undefined) return new Response("404 page not found", { status: 404 });
    const headers: Record<string, string> = { "content-type": "application/vnd.oci.image.index.v1+json" };
    if (page.link !== undefined) headers.link = `<${page.link}>; rel="next"`;
    if (page.filtersApplied) headers["oci-filters-applied"] = "artifactType";
    return new Response(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: page.manifests,
      }),
      { status: 200, headers },
    );
  }) as typeof fetch;
}

describe("referrers API", () => {
  const base = `/v2/app/referrers/${SUBJECT.digest}`;

  it("follows Link pages and filters client-side when the registry did not", async () => {
    const calls: string[] = [];
    const fetcher = registryWith(
      {
        [`${base}?artifactType=sig`]: {
          manifests: [entry("1", "sig"), entry("2", "sbom")],
          link: `${base}?page=2`,
        },
        [`${base}?page=2`]: { manifests: [entry("3", "sig")] },
      },
      calls,
    );
    const client = new RegistryClient("registry.test", { fetch: fetcher });
    const found = await client.repository("app").referrers(SUBJECT, "sig");
    expect(found.map((d) => d.digest[7])).toEqual(["1", "3"]);
    expect(client.capabilities.referrersApi).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it("trusts OCI-Filters-Applied", async () => {
    const fetcher = registryWith(
      {
        [`${base}?artifactType=sig`]: {
          manifests: [entry("1", "sig"), entry("2", "other")],
          filtersApplied: true,
        },
      },
      [],
    );
    const found = await new RegistryClient("registry.test", { fetch: fetcher })
      .repository("app")
      .referrers(SUBJECT, "sig");
    expect(found).toHaveLength(2);
  });

  it("does not conclude 'no API' from a missing repository", async () => {
    const calls: string[] = [];
    const client = new RegistryClient("registry.test", { fetch: registryWith({}, calls, 404) });
    expect(await client.repository("app").referrers(SUBJECT)).toEqual([]);
    expect(client.capabilities.referrersApi).toBeUndefined();
  });

  it("takes a 200 that is not exactly an OCI image index as no API, as cosign and notation do", async () => {
    for (const contentType of [
      "application/json",
      "application/vnd.oci.image.index.v1+json; charset=utf-8",
      "",
    ]) {
      const calls: string[] = [];
      const index = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] };
      const fetcher = (async (input: RequestInfo | URL) => {
        calls.push(new URL(String(input)).pathname);
        return new Response(JSON.stringify(index), { status: 200, headers: { "content-type": contentType } });
      }) as typeof fetch;
      const client = new RegistryClient("registry.test", { fetch: fetcher });
      expect(await client.repository("app").referrersCapability(), contentType).toBe(false);
      await client.repository("app").referrers(SUBJECT);
      expect(calls.filter((c) => c.includes("/referrers/"))).toHaveLength(1);
      expect(calls.at(-1)).toBe(`/v2/app/manifests/${referrersTag(SUBJECT.digest)}`);
    }
  });

  it("caches 'no API' after a plain 404 and goes to the tag schema", async () => {
    const calls: string[] = [];
    const client = new RegistryClient("registry.test", { fetch: registryWith({}, calls) });
    expect(await client.repository("app").referrersCapability()).toBe(false);
    expect(await client.repository("app").referrers(SUBJECT)).toEqual([]);
    expect(calls.filter((c) => c.includes("/referrers/"))).toHaveLength(1);
    expect(calls.at(-1)).toBe(`/v2/app/manifests/${referrersTag(SUBJECT.digest)}`);
  });
});
