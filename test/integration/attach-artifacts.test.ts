// "Never sign Countersign's own outputs or anybody's signature artifacts" (DESIGN.md): a job for a
// signature, attestation or referrers index is recorded as skipped for every format, with zero
// registry writes and no signature records; and an index's artifact children are never signed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AttachJob } from "../../lib/attach/attach-job.ts";
import { runAttachJob } from "../../lib/attach/job.ts";
import type { Descriptor, ImageIndex, ImageManifest } from "../../lib/oci/descriptor.ts";
import { digestOf } from "../../lib/oci/digest.ts";
import { EmptyJson, MediaType } from "../../lib/oci/media-types.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import type { Repository } from "../../lib/oci/remote/repository.ts";
import {
  ALL_FORMATS,
  type AttachHarness,
  createAttachHarness,
  digestRequest,
  fallbackEntries,
} from "../support/attach/harness.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage } from "../support/registry/images.ts";

const REPO = "arts/app";
const InToto = "application/vnd.in-toto+json";
const Dsse = "application/vnd.dsse.envelope.v1+json";

let registry: RunningRegistry;
let h: AttachHarness;
let repository: Repository;
let image: Descriptor;

beforeAll(async () => {
  registry = await startRegistry();
  h = await createAttachHarness();
  repository = new RegistryClient(registry.host).repository(REPO);
  image = await buildAndPushImage(`${registry.host}/${REPO}:v1`);
});

afterAll(async () => {
  await h?.close();
  await registry?.stop();
});

beforeEach(() => h.reset());

interface Part {
  readonly mediaType: string;
  readonly text: string;
  readonly annotations?: Record<string, string>;
}

/** Pushes a manifest shaped as another tool writes it (config and layers given), returns its descriptor. */
async function pushShaped(options: {
  readonly config: Part | "empty";
  readonly layers: readonly Part[];
  readonly artifactType?: string;
  readonly subject?: Descriptor;
  readonly tag?: string;
}): Promise<Descriptor> {
  const blob = async (part: Part): Promise<Descriptor> => {
    const bytes = new TextEncoder().encode(part.text);
    const descriptor = { mediaType: part.mediaType, digest: await digestOf(bytes), size: bytes.length };
    await repository.pushBlob(descriptor, bytes);
    return part.annotations === undefined ? descriptor : { ...descriptor, annotations: part.annotations };
  };
  const config =
    options.config === "empty"
      ? { mediaType: MediaType.OciEmpty, digest: EmptyJson.digest, size: EmptyJson.size }
      : await blob(options.config);
  if (options.config === "empty") await repository.pushBlob(config, EmptyJson.bytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    ...(options.artifactType !== undefined && { artifactType: options.artifactType }),
    config,
    layers: await Promise.all(options.layers.map(blob)),
    ...(options.subject !== undefined && { subject: options.subject }),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  return (await repository.pushManifest(bytes, MediaType.OciManifest, options.tag)).descriptor;
}

async function runFor(digest: string): Promise<AttachJob> {
  const job = await h.job(digestRequest(registry.host, REPO, digest));
  expect(await runAttachJob(job, h.deps({ signIndexChildren: true }))).toEqual({ kind: "done" });
  return job;
}

/** Every format skipped, nothing written, nothing recorded for `digest`. */
async function expectSkipped(job: AttachJob, digest: string, why: RegExp): Promise<void> {
  const stored = await h.store.getJob(job.jobId);
  expect(stored?.status).toBe("succeeded");
  for (const format of ALL_FORMATS) {
    expect(stored?.outcomes[format]?.status, format).toBe("skipped");
    expect(stored?.outcomes[format]?.detail, format).toMatch(why);
  }
  expect(h.writes()).toEqual([]);
  expect(await h.store.listSignatures({ registry: registry.host, repository: REPO, digest })).toEqual([]);
  expect(await fallbackEntries(registry.host, REPO, digest)).toEqual([]);
}

describe("Countersign's own outputs", () => {
  let own: Descriptor[];
  let sig: Descriptor;
  let referrersIndex: Descriptor;

  beforeAll(async () => {
    await runFor(image.digest);
    own = await fallbackEntries(registry.host, REPO, image.digest);
    expect(own).toHaveLength(2);
    sig = await repository.resolve(`${image.digest.replace(":", "-")}.sig`);
    referrersIndex = await repository.resolve(image.digest.replace(":", "-"));
  });

  it("its Notary signature and Sigstore bundle referrers are skipped", async () => {
    for (const referrer of own) {
      h.reset();
      const job = await runFor(referrer.digest);
      await expectSkipped(job, referrer.digest, /signature or attestation artifact/);
    }
  });

  it("its cosign `.sig` manifest is skipped", async () => {
    const job = await runFor(sig.digest);
    await expectSkipped(job, sig.digest, /signature or attestation artifact/);
  });

  it("its referrers tag-schema index (`sha256-<hex>`) is skipped, and so are the signatures it lists", async () => {
    expect(referrersIndex.mediaType).toBe(MediaType.OciIndex);
    const job = await runFor(referrersIndex.digest);
    await expectSkipped(job, referrersIndex.digest, /index of artifacts/);
    for (const referrer of own) {
      expect(
        await h.store.listSignatures({ registry: registry.host, repository: REPO, digest: referrer.digest }),
      ).toEqual([]);
    }
  });
});

describe("anybody's signature artifacts", () => {
  it.each([
    [
      "a Notary signature (notation's referrer: artifactType, JWS layer, subject)",
      () => ({
        config: "empty" as const,
        artifactType: MediaType.NotarySignature,
        layers: [{ mediaType: MediaType.Jose, text: '{"payload":"e30","protected":"e30","signature":""}' }],
        subject: image,
      }),
    ],
    [
      "a Notary signature without subject (legacy config media type)",
      () => ({
        config: { mediaType: MediaType.NotarySignature, text: "{}" },
        layers: [{ mediaType: MediaType.Jose, text: '{"payload":"e30"}' }],
      }),
    ],
    [
      "a cosign `.sig` manifest written by cosign",
      () => ({
        config: {
          mediaType: MediaType.OciConfig,
          text: '{"architecture":"","os":"","rootfs":{"type":"layers"}}',
        },
        layers: [
          {
            mediaType: MediaType.CosignSimpleSigning,
            text: `{"critical":{"image":{"docker-manifest-digest":"${image.digest}"}}}`,
            annotations: { "dev.cosignproject.cosign/signature": "MEUCIQ==" },
          },
        ],
        tag: `${image.digest.replace(":", "-")}.sig`,
      }),
    ],
    [
      "a Sigstore bundle referrer",
      () => ({
        config: "empty" as const,
        artifactType: MediaType.SigstoreBundle,
        layers: [{ mediaType: MediaType.SigstoreBundle, text: '{"mediaType":"bundle"}' }],
        subject: image,
      }),
    ],
    [
      "an in-toto attestation referrer (with subject)",
      () => ({
        config: "empty" as const,
        artifactType: InToto,
        layers: [{ mediaType: InToto, text: '{"_type":"https://in-toto.io/Statement/v1"}' }],
        subject: image,
      }),
    ],
    [
      "an in-toto attestation without subject (buildx attestation manifest)",
      () => ({
        config: { mediaType: MediaType.OciConfig, text: '{"architecture":"unknown","os":"unknown"}' },
        layers: [
          {
            mediaType: InToto,
            text: '{"_type":"https://in-toto.io/Statement/v0.1"}',
            annotations: { "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2" },
          },
        ],
      }),
    ],
    [
      "a cosign attestation (`.att`: DSSE layer, no subject)",
      () => ({
        config: { mediaType: MediaType.OciConfig, text: '{"architecture":"","os":""}' },
        layers: [{ mediaType: Dsse, text: '{"payloadType":"application/vnd.in-toto+json"}' }],
        tag: `${image.digest.replace(":", "-")}.att`,
      }),
    ],
  ])("%s: every format skipped, zero writes", async (_name, shape) => {
    const pushed = await pushShaped(shape());
    h.reset();
    const job = await runFor(pushed.digest);
    await expectSkipped(job, pushed.digest, /signature or attestation artifact/);
  });
});

describe("an image index with an artifact among its manifests", () => {
  it("signs the index and its image, never the attestation it lists", async () => {
    const attestation = await pushShaped({
      config: "empty",
      artifactType: InToto,
      layers: [{ mediaType: InToto, text: '{"_type":"https://in-toto.io/Statement/v1","n":1}' }],
    });
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        { ...image, platform: { architecture: "amd64", os: "linux" } },
        { ...attestation, artifactType: InToto },
      ],
    };
    const bytes = new TextEncoder().encode(JSON.stringify(index));
    const pushed = await repository.pushManifest(bytes, MediaType.OciIndex, "mixed");
    h.reset();
    const job = await runFor(pushed.descriptor.digest);
    const stored = await h.store.getJob(job.jobId);
    for (const format of ALL_FORMATS) {
      expect(stored?.outcomes[format]?.status, format).toBe("signed");
      expect(stored?.outcomes[format]?.detail, format).toBe("2 manifests (index and children)");
    }
    const recorded = async (digest: string) =>
      (await h.store.listSignatures({ registry: registry.host, repository: REPO, digest })).length;
    expect(await recorded(pushed.descriptor.digest)).toBe(3);
    expect(await recorded(image.digest)).toBe(3);
    expect(await recorded(attestation.digest)).toBe(0);
    expect(await fallbackEntries(registry.host, REPO, attestation.digest)).toEqual([]);
  });
});
