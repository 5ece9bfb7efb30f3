// The signature writers against distribution 2.8 through the fault proxy: a registry refusing
// `subject` (Docker Hub and ECR have, DESIGN.md survey) is written to again without it when the
// profile says so, and fails otherwise; the cosign `.sig` tag gains one layer per new signature and
// none for a signature it holds already.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RegistryProfiles } from "../../lib/artifacts/profiles.ts";
import { buildCosignSignature } from "../../lib/formats/cosign/build.ts";
import { writeCosignSignature } from "../../lib/formats/cosign/write.ts";
import { type ReferrerArtifact, writeReferrer } from "../../lib/formats/referrer.ts";
import type { Descriptor, ImageManifest } from "../../lib/oci/descriptor.ts";
import { RegistryError } from "../../lib/oci/errors.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { Repository } from "../../lib/oci/remote/repository.ts";
import { InProcessSubjectLock } from "../../lib/oci/subject-lock.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import { cosignLayerCount, fallbackEntries } from "../support/attach/harness.ts";
import { pushArtifact } from "../support/registry/content.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { type FaultProxy, startFaultProxy } from "../support/registry/fault-proxy.ts";

const ArtifactType = "application/vnd.example.signature.test";
const DIGEST_PUT = { method: "PUT", path: /\/manifests\/sha256:[0-9a-f]{64}$/ };

let registry: RunningRegistry;
let proxy: FaultProxy;
let repository: Repository;

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  repository = new RegistryClient(proxy.host, {
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
  }).repository("writer/app");
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

beforeEach(() => proxy.clear());

function artifact(text: string): ReferrerArtifact {
  return {
    artifactType: ArtifactType,
    layer: { mediaType: ArtifactType, bytes: new TextEncoder().encode(text) },
    annotations: { "org.example.note": text },
  };
}

async function subject(): Promise<Descriptor> {
  return (await pushArtifact(new RegistryClient(registry.host).repository("writer/app"))).descriptor;
}

async function manifestOf(digest: string): Promise<ImageManifest> {
  const fetched = await new RegistryClient(registry.host).repository("writer/app").fetchManifest(digest);
  return JSON.parse(new TextDecoder().decode(fetched.bytes)) as ImageManifest;
}

describe("writeReferrer", () => {
  it("writes the manifest with subject, and lists it in the tag-schema index", async () => {
    const image = await subject();
    const written = await writeReferrer({
      repository,
      subject: image,
      artifact: artifact("plain"),
      profile: RegistryProfiles.distribution,
      created: new Date("2025-01-02T03:04:05Z"),
    });
    expect(written).toMatchObject({ written: true, fallbackUpdated: true, artifactType: ArtifactType });
    expect((await manifestOf(written.digest)).subject?.digest).toBe(image.digest);
    const entries = await fallbackEntries(registry.host, "writer/app", image.digest);
    expect(entries).toEqual([
      expect.objectContaining({ digest: written.digest, artifactType: ArtifactType }),
    ]);
    expect(entries[0]?.annotations).toMatchObject({
      "org.example.note": "plain",
      "org.opencontainers.image.created": "2025-01-02T03:04:05Z",
    });
  });

  it("a registry refusing `subject` (405) with a retry-without-subject profile: written again without it, listed in the index, no blob uploaded twice", async () => {
    const image = await subject();
    proxy.inject({ kind: "status", status: 405 }, 1, DIGEST_PUT);
    const written = await writeReferrer({
      repository,
      subject: image,
      artifact: artifact("refused"),
      profile: RegistryProfiles.dockerhub,
      created: new Date(),
    });
    expect(written.fallbackUpdated).toBe(true);
    expect(proxy.requests.filter((r) => r.fault === "status")).toHaveLength(1);
    expect((await manifestOf(written.digest)).subject).toBeUndefined();
    expect((await fallbackEntries(registry.host, "writer/app", image.digest)).map((e) => e.digest)).toEqual([
      written.digest,
    ]);
    // The config was found by HEAD, the layer uploaded once: the retry reuses both.
    const uploads = proxy.requests.filter((r) => r.method === "POST" && r.path.includes("/blobs/uploads/"));
    expect(uploads).toHaveLength(1);
  });

  it("a profile that does not retry without subject fails with the registry's answer", async () => {
    const image = await subject();
    proxy.inject({ kind: "status", status: 405 }, 1, DIGEST_PUT);
    const error = await writeReferrer({
      repository,
      subject: image,
      artifact: artifact("fails"),
      profile: RegistryProfiles.oci11,
      created: new Date(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(405);
    expect(await fallbackEntries(registry.host, "writer/app", image.digest)).toEqual([]);
  });
});

describe("writeCosignSignature", () => {
  it("appends one layer per new signature, none for a signature already there", async () => {
    const image = await subject();
    const lock = new InProcessSubjectLock();
    const [alice, bob] = [await LocalSigner.generate(), await LocalSigner.generate()];
    const sign = (signer: LocalSigner) =>
      buildCosignSignature({ dockerReference: repository.name, subjectDigest: image.digest, signer });
    const first = await sign(alice);
    const a = await writeCosignSignature({ repository, subject: image, signature: first, lock });
    expect(a.written).toBe(true);
    const b = await writeCosignSignature({ repository, subject: image, signature: await sign(bob), lock });
    expect(b.written).toBe(true);
    expect(b.digest).not.toBe(a.digest);
    expect(await cosignLayerCount(registry.host, "writer/app", image.digest)).toBe(2);

    proxy.clear();
    const again = await writeCosignSignature({ repository, subject: image, signature: first, lock });
    expect(again).toMatchObject({ written: false, digest: b.digest });
    expect(proxy.requests.filter((r) => r.method !== "GET" && r.method !== "HEAD")).toEqual([]);
    expect(await cosignLayerCount(registry.host, "writer/app", image.digest)).toBe(2);
  });

  it("concurrent writers under one lock lose no signature", async () => {
    const image = await subject();
    const lock = new InProcessSubjectLock();
    const signers = await Promise.all(Array.from({ length: 5 }, () => LocalSigner.generate()));
    await Promise.all(
      signers.map(async (signer) =>
        writeCosignSignature({
          repository,
          subject: image,
          signature: await buildCosignSignature({
            dockerReference: repository.name,
            subjectDigest: image.digest,
            signer,
          }),
          lock,
        }),
      ),
    );
    expect(await cosignLayerCount(registry.host, "writer/app", image.digest)).toBe(5);
  });
});
