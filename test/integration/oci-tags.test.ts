// Tag listing. distribution 2.8 lists every tag in one unsorted answer and ignores `n` and `last`; the
// pagination path (sorted pages, `Link: <…>; rel="next"`) runs through the proxy's spec pagination.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { pushArtifact, RequestCounter } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";

let registry: RunningRegistry;
let proxy: FaultProxy;
const TAGS = ["a", "b", "c", "d", "e", "v1.0", "v1.1"];

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  const repo = new RegistryClient(registry.host).repository("tags/app");
  const artifact = await pushArtifact(repo);
  for (const tag of TAGS) await repo.pushManifest(artifact.bytes, artifact.descriptor.mediaType, tag);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

describe("tags", () => {
  it("gets distribution 2.8's whole list in one request, page size or not", async () => {
    const counter = new RequestCounter();
    const repo = new RegistryClient(registry.host, { onRequest: counter.listener }).repository("tags/app");
    expect((await repo.tags()).sort()).toEqual(TAGS);
    expect((await repo.tags({ pageSize: 2 })).sort()).toEqual(TAGS);
    expect(counter.count("tags.list")).toBe(2);
  });

  it("follows Link pagination page by page", async () => {
    proxy.paginateTags(true);
    try {
      const counter = new RequestCounter();
      const repo = new RegistryClient(proxy.host, { onRequest: counter.listener }).repository("tags/app");
      expect(await repo.tags({ pageSize: 2 })).toEqual(TAGS);
      // 7 tags in pages of 2: four pages, the last without a next link.
      expect(counter.count("tags.list")).toBe(4);
      const paths = proxy.requests.filter((r) => r.path.includes("/tags/list")).map((r) => r.path);
      expect(paths).toEqual([
        "/v2/tags/app/tags/list?n=2",
        "/v2/tags/app/tags/list?n=2&last=b",
        "/v2/tags/app/tags/list?n=2&last=d",
        "/v2/tags/app/tags/list?n=2&last=v1.0",
      ]);
    } finally {
      proxy.paginateTags(false);
      proxy.clear();
    }
  });

  it("gives no tags for a repository the registry does not know", async () => {
    expect(await new RegistryClient(registry.host).repository("tags/unknown").tags()).toEqual([]);
  });
});
