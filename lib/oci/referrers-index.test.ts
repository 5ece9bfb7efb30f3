import { describe, expect, it } from "vitest";
import { referrerDescriptor, referrersTag } from "./referrers-index.ts";

const SUBJECT_DIGEST = `sha256:${"a".repeat(64)}`;

describe("tag schema", () => {
  it("derives tags as the spec's examples do", () => {
    expect(referrersTag(`sha256:${"a".repeat(64)}`)).toBe(`sha256-${"a".repeat(64)}`);
    expect(referrersTag(`sha512:${"a".repeat(128)}`)).toBe(`sha512-${"a".repeat(64)}`);
    expect(
      referrersTag(
        "test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAndLotsOfCharactersToExcerciseEncodedTruncation",
      ),
    ).toBe(
      "test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacementAndLotsAndLot",
    );
  });

  it("describes a referrer by artifactType, else config media type (manifests) or nothing (indexes)", () => {
    const d = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: SUBJECT_DIGEST, size: 5 };
    const config = { mediaType: "application/vnd.cncf.notary.signature", digest: SUBJECT_DIGEST, size: 2 };
    expect(referrerDescriptor(d, { schemaVersion: 2, config, layers: [], annotations: { a: "1" } })).toEqual({
      ...d,
      artifactType: "application/vnd.cncf.notary.signature",
      annotations: { a: "1" },
    });
    expect(
      referrerDescriptor(d, { schemaVersion: 2, artifactType: "x", config, layers: [] }).artifactType,
    ).toBe("x");
    expect(
      referrerDescriptor(d, { schemaVersion: 2, artifactType: "", config, layers: [] }).artifactType,
    ).toBe(config.mediaType);
    expect(referrerDescriptor(d, { schemaVersion: 2, manifests: [] })).toEqual(d);
  });
});
