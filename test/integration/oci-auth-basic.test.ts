// Basic authentication against distribution 2.8 with an htpasswd file (bcrypt, generated here).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64FromText } from "../../lib/encoding.ts";
import { RegistryError } from "../../lib/oci/errors.ts";
import { dockerConfigCredentials } from "../../lib/oci/remote/credentials.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { RequestEvent } from "../../lib/oci/remote/transport.ts";
import { pushArtifact } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";

const PASSWORD = "correct-horse-battery-staple";
let registry: RunningRegistry;

beforeAll(async () => {
  registry = await startRegistry({ auth: { kind: "htpasswd", users: { alice: PASSWORD } } });
});

afterAll(async () => {
  await registry?.stop();
});

describe("Basic auth (htpasswd)", () => {
  it("refuses anonymous access with UNAUTHORIZED", async () => {
    const error = await new RegistryClient(registry.host)
      .repository("auth/app")
      .tags()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
    expect((error as RegistryError).codes).toContain("UNAUTHORIZED");
  });

  it("answers the first challenge, then sends Basic up front", async () => {
    const events: RequestEvent[] = [];
    const client = new RegistryClient(registry.host, {
      credentials: { username: "alice", password: PASSWORD },
      onRequest: (e) => events.push(e),
    });
    const repo = client.repository("auth/app");
    const artifact = await pushArtifact(repo, { tag: "v1" });
    expect((await repo.fetchManifest("v1")).descriptor).toEqual(artifact.descriptor);
    expect(events.filter((e) => e.status === 401)).toHaveLength(1);
    expect(events[0]?.status).toBe(401);
    await client.ping();
  });

  it("reads credentials from a Docker config.json", async () => {
    const store = dockerConfigCredentials({
      auths: { [registry.host]: { auth: base64FromText(`alice:${PASSWORD}`) } },
    });
    const repo = new RegistryClient(registry.host, { credentials: store }).repository("auth/app");
    expect(await repo.tags()).toEqual(["v1"]);
  });

  it("fails with a wrong password without the password appearing anywhere", async () => {
    const wrong = "wrong-password-value";
    const events: RequestEvent[] = [];
    const repo = new RegistryClient(registry.host, {
      credentials: { username: "alice", password: wrong },
      onRequest: (e) => events.push(e),
    }).repository("auth/app");
    const error = await repo.tags().catch((e: unknown) => e);
    expect((error as RegistryError).status).toBe(401);
    // One challenge answered, then no retry loop.
    expect(events).toHaveLength(2);
    const everything = `${String(error)} ${(error as Error).stack} ${JSON.stringify(error)} ${JSON.stringify(events)} ${JSON.stringify(repo)}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(base64FromText(`alice:${wrong}`));
  });
});
