import { describe, expect, it } from "vitest";
import type { ImageIndex, ImageManifest } from "../oci/descriptor.ts";
import { MediaType } from "../oci/media-types.ts";
import { signatureFormats } from "./index.ts";
import { isSignatureArtifact, isSignatureMediaType } from "./signature-artifact.ts";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("isSignatureArtifact", () => {
  const layer = (mediaType: string) => ({ mediaType, digest: DIGEST, size: 1 });
  const image: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: DIGEST, size: 2 },
    layers: [layer(MediaType.OciLayerTarGzip)],
  };

  it("leaves ordinary images and indexes alone", () => {
    expect(isSignatureArtifact(image)).toBe(false);
    const index: ImageIndex = { schemaVersion: 2, manifests: [{ ...layer(MediaType.OciManifest) }] };
    expect(isSignatureArtifact(index)).toBe(false);
    expect(
      isSignatureArtifact({ ...image, config: { ...image.config, mediaType: MediaType.DockerConfig } }),
    ).toBe(false);
  });

  it("recognises any referrer by its subject", () => {
    expect(isSignatureArtifact({ ...image, subject: layer(MediaType.OciManifest) })).toBe(true);
    const index: ImageIndex = { schemaVersion: 2, manifests: [], subject: layer(MediaType.OciManifest) };
    expect(isSignatureArtifact(index)).toBe(true);
  });

  it.each([
    ["Notary signature config", { config: { ...image.config, mediaType: MediaType.NotarySignature } }],
    ["Notary artifactType", { artifactType: MediaType.NotarySignature }],
    ["cosign simple signing layer", { layers: [layer(MediaType.CosignSimpleSigning)] }],
    ["cosign attestation", { layers: [layer("application/vnd.dsse.envelope.v1+json")] }],
    ["cosign attestation type", { artifactType: "application/vnd.dev.cosign.attestation.v1+json" }],
    ["sigstore bundle v0.3", { artifactType: MediaType.SigstoreBundle }],
    ["sigstore bundle v0.1", { layers: [layer("application/vnd.dev.sigstore.bundle+json;version=0.1")] }],
    ["in-toto statement", { layers: [layer("application/vnd.in-toto+json")] }],
    ["upper-case media type", { artifactType: "Application/Vnd.CNCF.Notary.Signature" }],
    [
      "a signature layer after an ordinary one",
      {
        layers: [
          layer(MediaType.OciLayerTarGzip),
          layer(MediaType.Jose),
          layer(MediaType.CosignSimpleSigning),
        ],
      },
    ],
  ])("recognises a %s", (_, overrides) => {
    expect(isSignatureArtifact({ ...image, ...overrides })).toBe(true);
  });

  it("survives malformed manifests", () => {
    expect(isSignatureArtifact({ layers: "nope" } as never)).toBe(false);
    expect(isSignatureArtifact({ layers: [null, 3] } as never)).toBe(false);
    expect(isSignatureArtifact({ artifactType: 7, config: {} } as never)).toBe(false);
  });
});

describe("isSignatureMediaType", () => {
  it.each(signatureFormats.map((format) => [format.name, format.artifactType]))(
    "covers the artifact type of our %s format",
    (_, artifactType) => {
      expect(isSignatureMediaType(artifactType)).toBe(true);
    },
  );
});
