// registryDirectory's clients against distribution 2.8 behind htpasswd (Basic auth): the configured
// credentials reach the registry and the job signs; without them, or with a wrong password, the job is
// a dead letter naming the 401, and the password appears in no record.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAttachJob } from "../../lib/attach/job.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import {
  ALL_FORMATS,
  type AttachHarness,
  createAttachHarness,
  digestRequest,
} from "../support/attach/harness.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage } from "../support/registry/images.ts";

const USER = "signer";
const PASSWORD = "htpasswd-Pa55word-never-logged";

let registry: RunningRegistry;
let image: Descriptor;
const harnesses: AttachHarness[] = [];

beforeAll(async () => {
  registry = await startRegistry({ auth: { kind: "htpasswd", users: { [USER]: PASSWORD } } });
  image = await buildAndPushImage(`${registry.host}/auth/app:v1`, {
    layers: 1,
    credentials: `${USER}:${PASSWORD}`,
  });
});

afterAll(async () => {
  for (const h of harnesses) await h.close();
  await registry?.stop();
});

async function harness(credentials?: { username: string; password: string }): Promise<AttachHarness> {
  const h = await createAttachHarness({
    registries: [
      { host: registry.host, ...(credentials !== undefined && { credentials }) },
      { host: "127.0.0.1:*" },
    ],
  });
  harnesses.push(h);
  return h;
}

describe("registry credentials", () => {
  it("the configured credentials are used: the job signs every format", async () => {
    const h = await harness({ username: USER, password: PASSWORD });
    const job = await h.job(digestRequest(registry.host, "auth/app", image.digest));
    expect(await runAttachJob(job, h.deps())).toEqual({ kind: "done" });
    expect((await h.store.getJob(job.jobId))?.status).toBe("succeeded");
    // One challenge per client, then Basic up front.
    expect(h.sent.filter((r) => r.status === 401)).toHaveLength(1);
    const authed = new RegistryClient(registry.host, {
      credentials: { username: USER, password: PASSWORD },
    }).repository("auth/app");
    const index = await authed.fallbackIndex(image.digest);
    expect(index?.index.manifests).toHaveLength(2);
    expect(await authed.hasManifest(`${image.digest.replace(":", "-")}.sig`)).toBe(true);
  });

  it.each([
    ["no credentials", undefined],
    ["a wrong password", { username: USER, password: "wrong-Password-0123" }],
  ])("%s: dead at once with the 401, nothing written, no password recorded", async (_name, credentials) => {
    const h = await harness(credentials);
    const job = await h.job(digestRequest(registry.host, "auth/app", image.digest));
    expect(await runAttachJob(job, h.deps(), 1)).toEqual({ kind: "done" });
    const stored = await h.store.getJob(job.jobId);
    expect(stored?.status).toBe("dead");
    expect(stored?.attempts).toBe(1);
    expect(stored?.lastError).toMatch(/^RegistryError: manifest\.get: GET .* answered 401 \(UNAUTHORIZED/);
    expect(h.writes()).toEqual([]);
    const recorded = JSON.stringify(await h.store.listJobs({ limit: 500 }));
    expect(recorded).not.toContain(PASSWORD);
    expect(recorded).not.toContain("wrong-Password-0123");
    for (const format of ALL_FORMATS) expect(stored?.outcomes[format]).toBeUndefined();
  });
});
