// Media types from the OCI image-spec (media-types.md) and Docker's image manifest v2 schema 2.
export const MediaType = {
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayerTarGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciEmpty: "application/vnd.oci.empty.v1+json",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  NotarySignature: "application/vnd.cncf.notary.signature",
  Jose: "application/jose+json",
  CosignSimpleSigning: "application/vnd.dev.cosign.simplesigning.v1+json",
  SigstoreBundle: "application/vnd.dev.sigstore.bundle.v0.3+json",
} as const;

/** Every manifest media type we accept on GET: a registry must never down-convert what we sign. */
export const ManifestAccept = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
] as const;

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

/** The empty JSON config `{}` (image-spec manifest.md, "Guidance for an Empty Descriptor"). */
export const EmptyJson = {
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
  bytes: new Uint8Array([0x7b, 0x7d]),
} as const;
