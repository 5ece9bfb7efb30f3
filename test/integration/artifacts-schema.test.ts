import { describe, expect, it } from "vitest";
import { canonicalJson, descriptorOf } from "../../lib/artifacts/canonical-json.ts";
import {
  type ArtifactLayer,
  buildArtifactManifest,
  CreatedAnnotation,
} from "../../lib/artifacts/manifest.ts";
import { RegistryProfiles, withoutSubject } from "../../lib/artifacts/profiles.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { digestOf } from "../../lib/oci/digest.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import {
  assertValidIndex,
  assertValidManifest,
  indexProblems,
  manifestProblems,
} from "../support/oci/schema.ts";
import { vectorBytes } from "../support/signing/vectors.ts";

function vectorBlob(hexPrefix: string): Uint8Array {
  const names: Record<string, string> = {
    "90ceaff2": "90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f",
    b8479de3: "b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9",
    c9af07e0: "c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50",
    "13e107e0": "13e107e0dd246f07ff18998a3d39e226965c41477a1bc1765f7617632ff3f283",
  };
  const blobs = ["notation-jws-oci-layout-e2e-valid-signature", "oci-layout", "blobs", "sha256"];
  return vectorBytes(blobs[0]!, ...blobs.slice(1), names[hexPrefix]!);
}

const subject: Descriptor = {
  mediaType: MediaType.OciManifest,
  digest: `sha256:${"0f".repeat(32)}`,
  size: 1234,
};
const bytes = (text: string) => new TextEncoder().encode(text);

// The three formats' outputs as lib/formats hands them over: { artifactType, layer, annotations }.
const formats: readonly {
  artifactType: string;
  layer: ArtifactLayer;
  annotations: Record<string, string>;
}[] = [
  {
    artifactType: MediaType.NotarySignature,
    layer: {
      mediaType: MediaType.Jose,
      bytes: bytes('{"payload":"e30","protected":"e30","signature":"AA"}'),
    },
    annotations: { "io.cncf.notary.x509chain.thumbprint#S256": '["00"]' },
  },
  {
    artifactType: MediaType.SigstoreBundle,
    layer: { mediaType: MediaType.SigstoreBundle, bytes: bytes('{"mediaType":"x"}') },
    annotations: {
      "dev.sigstore.bundle.content": "dsse-envelope",
      "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
    },
  },
  {
    artifactType: "application/vnd.example.sbom+json",
    layer: { mediaType: "application/spdx+json", bytes: bytes('{"spdxVersion":"SPDX-2.3"}') },
    annotations: {},
  },
];

const profiles = [...Object.values(RegistryProfiles), withoutSubject(RegistryProfiles.dockerhub)];
const created = new Date("2025-01-02T03:04:05.678Z");

describe("every manifest we write validates against the image-spec schemas", () => {
  for (const profile of profiles) {
    for (const format of formats) {
      it(`${profile.name}${profile.supportsSubject ? "" : " (no subject)"} × ${format.artifactType}`, async () => {
        const built = await buildArtifactManifest({
          artifactType: format.artifactType,
          subject,
          layers: [format.layer],
          annotations: format.annotations,
          created,
          profile,
        });
        const parsed = assertValidManifest(built.bytes);
        expect(parsed.annotations?.[CreatedAnnotation]).toBe("2025-01-02T03:04:05Z");
        expect(parsed.subject === undefined).toBe(!profile.supportsSubject);
        for (const blob of built.blobs) {
          expect(blob.bytes.byteLength).toBeGreaterThan(0);
          expect(await digestOf(blob.bytes)).toBe(blob.descriptor.digest);
        }
        // The referrers index that lists it (fallback tag schema) validates too.
        assertValidIndex(
          canonicalJson({
            schemaVersion: 2,
            mediaType: MediaType.OciIndex,
            manifests: [built.referrerDescriptor],
          }),
        );
      });
    }
  }

  it("the artifact without layers validates (empty JSON layer) on every profile", async () => {
    for (const profile of profiles) {
      const built = await buildArtifactManifest({
        artifactType: "application/vnd.example+json",
        subject,
        layers: [],
        created,
        profile,
      });
      assertValidManifest(built.bytes);
    }
  });

  it("an empty referrers index validates", () => {
    assertValidIndex(canonicalJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));
  });
});

describe("the validator itself rejects what the image-spec forbids", () => {
  const good = JSON.parse(new TextDecoder().decode(vectorBlob("90ceaff2")));
  const variants: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ["no layers", (m) => (m.layers = []), /layers/],
    ["no config", (m) => delete m.config, /config/],
    ["schemaVersion 1", (m) => (m.schemaVersion = 1), /schemaVersion/],
    ["non-string annotation", (m) => (m.annotations = { a: 1 }), /annotations/],
    ["bad config mediaType", (m) => ((m.config as Record<string, unknown>).mediaType = "nope"), /mediaType/],
    [
      "uppercase digest",
      (m) => ((m.subject as Record<string, unknown>).digest = `sha256:${"AB".repeat(32)}`),
      /digest/,
    ],
    [
      "empty config type without artifactType",
      (m) => ((m.config as Record<string, unknown>).mediaType = MediaType.OciEmpty),
      /artifactType/,
    ],
    ["an index media type", (m) => (m.mediaType = MediaType.OciIndex), /mediaType/],
  ];
  it.each(variants)("%s", (_name, mutate, problem) => {
    const manifest = structuredClone(good);
    mutate(manifest);
    expect(manifestProblems(JSON.stringify(manifest)).join("\n")).toMatch(problem);
    expect(() => assertValidManifest(JSON.stringify(manifest))).toThrow(problem);
  });

  it("rejects an index whose entry lacks a digest, and non-JSON", () => {
    expect(indexProblems('{"schemaVersion":2,"manifests":[{"mediaType":"a/b","size":1}]}').join()).toMatch(
      /digest/,
    );
    expect(() => assertValidIndex(bytes("{"))).toThrow(/not JSON/);
  });
});

describe("the Notary case matches notation's signature manifest 90ceaff2…", () => {
  it("rebuilds the vector's manifest byte for byte, and its fallback-index entry", async () => {
    const envelope = vectorBlob("c9af07e0");
    const built = await buildArtifactManifest({
      artifactType: MediaType.NotarySignature,
      subject: await descriptorOf(MediaType.OciManifest, vectorBlob("b8479de3")),
      layers: [{ mediaType: MediaType.Jose, bytes: envelope }],
      annotations: {
        "io.cncf.notary.x509chain.thumbprint#S256":
          '["e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9"]',
      },
      created: new Date("2023-06-27T13:30:33+08:00"),
      profile: RegistryProfiles.oci11,
    });
    const expected = vectorBlob("90ceaff2");
    const want = JSON.parse(new TextDecoder().decode(expected));
    // Field by field first, so a difference names itself, then the exact bytes and digest.
    expect(Object.keys(built.manifest)).toEqual(Object.keys(want));
    for (const key of Object.keys(want))
      expect(built.manifest[key as keyof typeof built.manifest]).toEqual(want[key]);
    expect(new TextDecoder().decode(built.bytes)).toBe(new TextDecoder().decode(expected));
    expect(built.descriptor.digest).toBe(
      "sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f",
    );
    expect(built.blobs.map((blob) => blob.descriptor.digest)).toEqual([
      want.config.digest,
      want.layers[0].digest,
    ]);
    const index = canonicalJson({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [built.referrerDescriptor],
    });
    expect(new TextDecoder().decode(index)).toBe(new TextDecoder().decode(vectorBlob("13e107e0")));
    assertValidManifest(built.bytes);
    assertValidIndex(index);
  });
});
