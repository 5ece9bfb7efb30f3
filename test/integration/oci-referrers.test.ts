// Referrers on distribution 2.8, which has no referrers API: capability detection, and the tag-schema
// fallback index (create, append, no duplicate, annotations copied, removal), including 20 concurrent
// appends to one subject through the subject lock with none lost.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor, ImageIndex } from "../../lib/oci/descriptor.ts";
import { parseManifest } from "../../lib/oci/manifest-schema.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import { referrersTag } from "../../lib/oci/referrers-index.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { Repository } from "../../lib/oci/remote/repository.ts";
import type { SubjectLock } from "../../lib/oci/subject-lock.ts";
import { pushArtifact, RequestCounter } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";

const SIGNATURE = "application/vnd.example.signature.v1";
const SBOM = "application/vnd.example.sbom.v1";

let registry: RunningRegistry;

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
});

async function subjectIn(repo: Repository): Promise<Descriptor> {
  return (await pushArtifact(repo, { tag: `image-${crypto.randomUUID().slice(0, 8)}` })).descriptor;
}

describe("referrers capability", () => {
  it("finds no referrers API on distribution 2.8, asks once per registry, and ignores what PUT says", async () => {
    const counter = new RequestCounter();
    const client = new RegistryClient(registry.host, { onRequest: counter.listener });
    const repo = client.repository("ref/capability");
    const subject = await subjectIn(repo);
    const referrer = await pushArtifact(repo, { subject, artifactType: SIGNATURE });
    // 2.8 does not process `subject`: no OCI-Subject header on the PUT.
    const pushedAgain = await repo.pushManifest(referrer.bytes, MediaType.OciManifest);
    expect(pushedAgain.subjectHeader).toBeUndefined();
    expect(await repo.referrersCapability()).toBe(false);
    expect(client.capabilities.referrersApi).toBe(false);
    expect(await client.repository("ref/other").referrersCapability()).toBe(false);
    expect(counter.count("referrers.get")).toBe(1);
    // Listing goes straight to the tag schema now.
    counter.reset();
    expect(await repo.referrers(subject)).toEqual([]);
    expect(counter.count("referrers.get")).toBe(0);
    expect(counter.count("manifest.get")).toBe(1);
  });
});

describe("tag-schema fallback", () => {
  it("creates the index, appends, never duplicates, and copies artifactType and annotations", async () => {
    const repo = new RegistryClient(registry.host).repository("ref/fallback");
    const subject = await subjectIn(repo);
    expect(await repo.fallbackIndex(subject)).toBeUndefined();

    const signature = await pushArtifact(repo, {
      subject,
      artifactType: SIGNATURE,
      annotations: { "org.opencontainers.image.created": "2025-01-01T00:00:00Z", "com.example.key": "k1" },
    });
    const created = await repo.addReferrer(subject, signature.descriptor, signature.manifest);
    expect(created.changed).toBe(true);

    // No artifactType on the manifest: the descriptor takes the config's media type.
    const untyped = await pushArtifact(repo, { subject });
    expect((await repo.addReferrer(subject, untyped.descriptor, untyped.manifest)).changed).toBe(true);

    const again = await repo.addReferrer(subject, signature.descriptor, signature.manifest);
    expect(again.changed).toBe(false);

    const fallback = await repo.fallbackIndex(subject);
    expect(fallback?.descriptor.mediaType).toBe(MediaType.OciIndex);
    expect(fallback?.etag).toBeDefined();
    expect(fallback?.index.manifests).toEqual([
      {
        ...signature.descriptor,
        artifactType: SIGNATURE,
        annotations: { "org.opencontainers.image.created": "2025-01-01T00:00:00Z", "com.example.key": "k1" },
      },
      { ...untyped.descriptor, artifactType: MediaType.OciEmpty },
    ]);
    expect(again.index).toEqual(fallback?.descriptor);

    // The index is a real tag holding a valid image index.
    const raw = await repo.fetchManifest(referrersTag(subject.digest));
    const index = parseManifest(raw.bytes, raw.descriptor.mediaType) as ImageIndex;
    expect(index.mediaType).toBe(MediaType.OciIndex);
    expect(index.manifests).toHaveLength(2);
    expect(await repo.tags()).toContain(`sha256-${subject.digest.slice(7)}`);

    expect(await repo.referrers(subject, SIGNATURE)).toEqual([fallback?.index.manifests[0]]);
    expect(await repo.referrers(subject, SBOM)).toEqual([]);
    expect(await repo.referrers(subject)).toHaveLength(2);
  });

  it("removes a referrer and leaves the others", async () => {
    const repo = new RegistryClient(registry.host).repository("ref/remove");
    const subject = await subjectIn(repo);
    const a = await pushArtifact(repo, { subject, artifactType: SIGNATURE });
    const b = await pushArtifact(repo, { subject, artifactType: SBOM });
    await repo.addReferrer(subject, a.descriptor, a.manifest);
    await repo.addReferrer(subject, b.descriptor, b.manifest);
    expect((await repo.removeReferrer(subject, a.descriptor.digest)).changed).toBe(true);
    expect((await repo.removeReferrer(subject, a.descriptor.digest)).changed).toBe(false);
    expect((await repo.referrers(subject)).map((d) => d.digest)).toEqual([b.descriptor.digest]);
  });

  it("treats a referrers tag that is not an index as no referrers, and refuses to update it", async () => {
    const repo = new RegistryClient(registry.host).repository("ref/broken");
    const subject = await subjectIn(repo);
    await pushArtifact(repo, { tag: referrersTag(subject.digest) });
    expect(await repo.referrers(subject)).toEqual([]);
    const referrer = await pushArtifact(repo, { subject });
    await expect(repo.addReferrer(subject, referrer.descriptor, referrer.manifest)).rejects.toThrow(
      /not an image index/,
    );
  });

  it("loses none of 20 concurrent appends to one subject, serialised by the lock", async () => {
    const { InProcessSubjectLock } = await import("../../lib/oci/subject-lock.ts");
    const defaultLock = new InProcessSubjectLock();
    let inside = 0;
    let maxInside = 0;
    const counting: SubjectLock = {
      // Wraps the default lock to observe it; a distributed lock would plug in the same way.
      withLock: (key, fn) =>
        defaultLock.withLock(key, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          try {
            return await fn();
          } finally {
            inside--;
          }
        }),
    };
    const client = new RegistryClient(registry.host, { subjectLock: counting });
    const repo = client.repository("ref/concurrent");
    const subject = await subjectIn(repo);
    const referrers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        pushArtifact(repo, { subject, artifactType: SIGNATURE, payload: `sig ${i}` }),
      ),
    );
    const results = await Promise.all(
      referrers.map((r) => repo.addReferrer(subject, r.descriptor, r.manifest)),
    );
    expect(results.every((r) => r.changed)).toBe(true);
    expect(maxInside).toBe(1);
    const listed = (await repo.referrers(subject)).map((d) => d.digest).sort();
    expect(listed).toEqual(referrers.map((r) => r.descriptor.digest).sort());
  });

  it("shows why the lock matters: without it, concurrent appends lose updates on distribution 2.8", async () => {
    const noLock: SubjectLock = { withLock: (_key, fn) => fn() };
    const repo = new RegistryClient(registry.host, { subjectLock: noLock }).repository("ref/unlocked");
    const subject = await subjectIn(repo);
    const referrers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pushArtifact(repo, { subject, payload: `unlocked ${i}` })),
    );
    await Promise.all(referrers.map((r) => repo.addReferrer(subject, r.descriptor, r.manifest)));
    // distribution 2.8 ignores If-Match, so racing read-modify-writes overwrite each other.
    expect((await repo.referrers(subject)).length).toBeLessThan(20);
  });

  it("settle() puts back what a stale writer dropped: its own entry, and every entry it saw", async () => {
    // Separate clients are separate processes: no shared lock, no shared cache.
    const policy = { settleMs: 50, jitterMs: 10 };
    const a = new RegistryClient(registry.host, { sharedTags: policy }).repository("ref/stale");
    const b = new RegistryClient(registry.host, { sharedTags: policy }).repository("ref/stale");
    const subject = await subjectIn(a);
    const x = await pushArtifact(a, { subject, artifactType: SIGNATURE, payload: "x" });
    const y = await pushArtifact(b, { subject, artifactType: SIGNATURE, payload: "y" });
    await a.addReferrer(subject, x.descriptor, x.manifest);
    await b.addReferrer(subject, y.descriptor, y.manifest);
    // A writer that read before both writes lands last: an index listing neither.
    const stale = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    await a.pushManifest(
      new TextEncoder().encode(JSON.stringify(stale)),
      MediaType.OciIndex,
      referrersTag(subject.digest),
    );
    expect((await a.fallbackIndex(subject))?.index.manifests).toEqual([]);
    // b confirms: y is its own, x it saw in the index it wrote from.
    await b.settle();
    const listed = (await b.fallbackIndex(subject))?.index.manifests.map((m) => m.digest).sort();
    expect(listed).toEqual([x.descriptor.digest, y.descriptor.digest].sort());
  });
});
