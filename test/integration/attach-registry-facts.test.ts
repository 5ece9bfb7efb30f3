// One capability probe per registry, not per process: the service's store remembers what a registry
// client learnt (distribution 2.8: no referrers API; whether If-Match works), and the clients of a new process
// start from it, so their first job on that registry sends no probe.
import { afterAll, beforeAll, expect, it } from "vitest";
import { runAttachJob } from "../../lib/attach/job.ts";
import { registryDirectory } from "../../lib/attach/registries.ts";
import { parseConfig } from "../../lib/config/load.ts";
import { type AttachHarness, createAttachHarness, digestRequest } from "../support/attach/harness.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage } from "../support/registry/images.ts";

let registry: RunningRegistry;
let h: AttachHarness;

beforeAll(async () => {
  registry = await startRegistry();
  h = await createAttachHarness();
});

afterAll(async () => {
  await h?.close();
  await registry?.stop();
});

it("remembers the referrers probe's answer in the store; a new process does not probe again", async () => {
  const first = await buildAndPushImage(`${registry.host}/facts/first:v1`);
  const job = await h.job(digestRequest(registry.host, "facts/first", first.digest));
  expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });
  expect(h.sent.filter((r) => r.path.includes("/referrers/"))).toHaveLength(1);
  // (If-Match is learnt on the first write over an existing index: a fresh image has none.)
  expect(await h.store.registryFacts(registry.host)).toEqual({ referrersApi: false });

  // Another process: new registry clients, the same store.
  const sent: string[] = [];
  const config = await parseConfig(
    { registries: [{ host: "127.0.0.1:*" }] },
    { env: () => undefined, readFile: async () => "" },
  );
  const fresh = registryDirectory(config.registries, {
    fetch: async (input, init) => {
      sent.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
      return fetch(input, init);
    },
  });
  const second = await buildAndPushImage(`${registry.host}/facts/second:v1`);
  const next = await h.job(digestRequest(registry.host, "facts/second", second.digest));
  expect(await runAttachJob(next, h.deps({ registry: (host) => fresh.client(host) }))).toEqual({
    kind: "done",
  });
  expect(sent.filter((path) => path.includes("/referrers/"))).toEqual([]);
  expect(fresh.client(registry.host).capabilities.referrersApi).toBe(false);
});
