import { describe, expect, it } from "vitest";
import type { Descriptor } from "../oci/descriptor.ts";
import { digestOf } from "../oci/digest.ts";
import { EmptyJson, MediaType } from "../oci/media-types.ts";
import {
  ArtifactManifestError,
  type ArtifactManifestOptions,
  buildArtifactManifest,
  CreatedAnnotation,
  createdTimestamp,
  shapeFor,
} from "./manifest.ts";
import { RegistryProfiles, withoutSubject } from "./profiles.ts";

const subject: Descriptor = {
  mediaType: MediaType.OciManifest,
  digest: `sha256:${"ab".repeat(32)}`,
  size: 517,
  annotations: { "org.opencontainers.image.ref.name": "v1" },
  platform: { architecture: "amd64", os: "linux" },
};
const bundle = new TextEncoder().encode('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');

function options(overrides: Partial<ArtifactManifestOptions> = {}): ArtifactManifestOptions {
  return {
    artifactType: MediaType.SigstoreBundle,
    subject,
    layers: [{ mediaType: MediaType.SigstoreBundle, bytes: bundle }],
    annotations: { "dev.sigstore.bundle.content": "dsse-envelope" },
    created: new Date("2024-05-06T07:08:09.999Z"),
    profile: RegistryProfiles.oci11,
    ...overrides,
  };
}

const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

describe("buildArtifactManifest", () => {
  it("writes the scratch-layer form: artifactType, empty {} config, layer, subject, annotations", async () => {
    const built = await buildArtifactManifest(options());
    expect(built.shape).toBe("scratch-layer");
    expect(json(built.bytes)).toEqual({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType: MediaType.SigstoreBundle,
      config: { mediaType: MediaType.OciEmpty, digest: EmptyJson.digest, size: 2 },
      layers: [
        { mediaType: MediaType.SigstoreBundle, digest: await digestOf(bundle), size: bundle.byteLength },
      ],
      subject: { mediaType: MediaType.OciManifest, digest: subject.digest, size: 517 },
      annotations: {
        "dev.sigstore.bundle.content": "dsse-envelope",
        [CreatedAnnotation]: "2024-05-06T07:08:09Z",
      },
    });
    expect(Object.keys(json(built.bytes))).toEqual([
      "schemaVersion",
      "mediaType",
      "artifactType",
      "config",
      "layers",
      "subject",
      "annotations",
    ]);
  });

  it("is byte-for-byte deterministic, and its descriptor hashes those bytes", async () => {
    const [a, b] = await Promise.all([buildArtifactManifest(options()), buildArtifactManifest(options())]);
    expect(a.bytes).toEqual(b.bytes);
    expect(a.descriptor).toEqual({
      mediaType: MediaType.OciManifest,
      digest: await digestOf(a.bytes),
      size: a.bytes.byteLength,
    });
  });

  it("writes no null, undefined or empty field", async () => {
    const built = await buildArtifactManifest(
      options({ annotations: {}, layers: [{ ...options().layers[0]!, annotations: {} }] }),
    );
    const text = new TextDecoder().decode(built.bytes);
    expect(text).not.toMatch(/null|\{\}|\[\]|""/);
  });

  it("writes the legacy form where the profile cannot take artifactType", async () => {
    const built = await buildArtifactManifest(options({ profile: RegistryProfiles.ecr }));
    expect(built.shape).toBe("legacy-config");
    expect(built.manifest.artifactType).toBeUndefined();
    expect(built.manifest.config).toEqual({
      mediaType: MediaType.SigstoreBundle,
      digest: EmptyJson.digest,
      size: 2,
    });
    expect(built.referrerDescriptor.artifactType).toBe(MediaType.SigstoreBundle);
  });

  it("writes Notary signatures in notation's config-typed form on every profile", async () => {
    for (const profile of Object.values(RegistryProfiles)) {
      expect(shapeFor(MediaType.NotarySignature, profile)).toBe("legacy-config");
    }
  });

  it("replaces missing layers with the 2-byte empty JSON layer, never a zero-byte blob", async () => {
    const built = await buildArtifactManifest(options({ layers: [], profile: RegistryProfiles.quay }));
    expect(built.manifest.layers).toEqual([
      { mediaType: MediaType.OciEmpty, digest: EmptyJson.digest, size: 2 },
    ]);
    expect(built.blobs).toHaveLength(1);
    expect(built.blobs.every((blob) => blob.bytes.byteLength > 0)).toBe(true);
  });

  it("refuses a zero-byte layer clearly", async () => {
    const empty = options({ layers: [{ mediaType: MediaType.Jose, bytes: new Uint8Array() }] });
    await expect(buildArtifactManifest(empty)).rejects.toThrow(
      /layers\[0\] \(application\/jose\+json\) is empty/,
    );
  });

  it("lists config then layers as blobs to push, each once", async () => {
    const built = await buildArtifactManifest(
      options({
        layers: [
          { mediaType: MediaType.SigstoreBundle, bytes: bundle },
          { mediaType: "text/plain", bytes: bundle },
        ],
      }),
    );
    expect(built.blobs.map((blob) => blob.descriptor.mediaType)).toEqual([
      MediaType.OciEmpty,
      MediaType.SigstoreBundle,
    ]);
    expect(built.manifest.layers).toHaveLength(2);
  });

  it("writes only mediaType, digest and size of the subject", async () => {
    const built = await buildArtifactManifest(options());
    expect(built.manifest.subject).toEqual({
      mediaType: subject.mediaType,
      digest: subject.digest,
      size: subject.size,
    });
  });

  it("omits subject once the registry refused it", async () => {
    const built = await buildArtifactManifest(
      options({ profile: withoutSubject(RegistryProfiles.dockerhub) }),
    );
    expect(built.manifest.subject).toBeUndefined();
    expect(json(built.bytes)).not.toHaveProperty("subject");
  });

  it("refuses bad subjects, media types and annotations", async () => {
    await expect(
      buildArtifactManifest(options({ subject: { ...subject, digest: "sha256:AB" } })),
    ).rejects.toThrow(ArtifactManifestError);
    await expect(buildArtifactManifest(options({ subject: { ...subject, size: 0 } }))).rejects.toThrow(
      /subject.size/,
    );
    await expect(buildArtifactManifest(options({ artifactType: "signature" }))).rejects.toThrow(
      /artifactType/,
    );
    await expect(buildArtifactManifest(options({ annotations: { "": "x" } }))).rejects.toThrow(/empty key/);
    await expect(
      buildArtifactManifest(options({ annotations: { [CreatedAnnotation]: "2001-01-01T00:00:00Z" } })),
    ).rejects.toThrow(/contradicts created/);
  });

  it("the referrer descriptor carries artifactType and the manifest annotations", async () => {
    const built = await buildArtifactManifest(options());
    expect(built.referrerDescriptor).toEqual({
      ...built.descriptor,
      annotations: built.manifest.annotations,
      artifactType: MediaType.SigstoreBundle,
    });
  });
});

describe("createdTimestamp", () => {
  it("is RFC 3339 UTC with no fractional seconds", () => {
    expect(createdTimestamp(new Date("2023-06-27T13:30:33.5+08:00"))).toBe("2023-06-27T05:30:33Z");
    expect(createdTimestamp(new Date(0))).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("refuses invalid dates and years RFC 3339 cannot write", () => {
    expect(() => createdTimestamp(new Date("nope"))).toThrow(/invalid Date/);
    expect(() => createdTimestamp(new Date(Date.UTC(10000, 0, 1)))).toThrow(/outside RFC 3339/);
  });
});
