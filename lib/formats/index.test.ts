import { describe, expect, it } from "vitest";
import { FormatNames as formatNames, formatOf, isFormatName, signatureFormat } from "./index.ts";

describe("formats", () => {
  it("names notary, cosign and bundle, each with sign and verify", () => {
    expect(formatNames).toEqual(["notary", "cosign", "bundle"]);
    for (const name of formatNames) {
      expect(signatureFormat(name).name).toBe(name);
      expect(typeof signatureFormat(name).sign).toBe("function");
      expect(typeof signatureFormat(name).verify).toBe("function");
    }
    expect(isFormatName("bundle")).toBe(true);
    expect(isFormatName("gpg")).toBe(false);
  });

  it("recognises each format's manifests, and leaves an image alone", () => {
    const config = (mediaType: string) => ({ mediaType, digest: `sha256:${"4".repeat(64)}`, size: 2 });
    const layer = (mediaType: string) => ({ mediaType, digest: `sha256:${"5".repeat(64)}`, size: 10 });
    expect(
      formatOf({
        schemaVersion: 2,
        config: config("application/vnd.cncf.notary.signature"),
        layers: [layer("application/jose+json")],
      }),
    ).toBe("notary");
    expect(
      formatOf({
        schemaVersion: 2,
        artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
        config: config("application/vnd.oci.empty.v1+json"),
        layers: [layer("application/vnd.dev.sigstore.bundle.v0.3+json")],
      }),
    ).toBe("bundle");
    expect(
      formatOf({
        schemaVersion: 2,
        config: config("application/vnd.oci.image.config.v1+json"),
        layers: [layer("application/vnd.dev.cosign.simplesigning.v1+json")],
      }),
    ).toBe("cosign");
    expect(
      formatOf({
        schemaVersion: 2,
        config: config("application/vnd.oci.image.config.v1+json"),
        layers: [layer("application/vnd.oci.image.layer.v1.tar+gzip")],
      }),
    ).toBeUndefined();
    expect(formatOf({ schemaVersion: 2, manifests: [] })).toBeUndefined();
  });
});
