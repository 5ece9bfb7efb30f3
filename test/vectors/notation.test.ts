// The notation vectors (real notation CLI output, notaryproject/notation e2e layouts) judged by
// verifyNotarySignature exactly as each PROVENANCE.md states; and what we build has their shape.
import { describe, expect, it } from "vitest";
import { buildNotarySignature } from "../../lib/formats/notary/build.ts";
import { NotaryHeader } from "../../lib/formats/notary/envelope.ts";
import { verifyNotarySignature } from "../../lib/formats/notary/verify.ts";
import type { Descriptor, ImageManifest } from "../../lib/oci/descriptor.ts";
import { createNotaryCertificate } from "../../lib/signing/certificate.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import { sha256SumMismatches, VectorLayout, vectorText } from "../support/signing/vectors.ts";

const VALID = "notation-jws-oci-layout-e2e-valid-signature";
const MULTIPLE = "notation-jws-oci-layout-e2e-multiple-signatures";
const EXPIRED_SIGNATURE = "notation-jws-oci-layout-e2e-expired-signature-NEGATIVE";
const EXPIRED_CERT = "notation-jws-oci-layout-e2e-expired-cert-NEGATIVE";
const NOT_A_JWS = "notation-oci-layout-e2e-invalid-signature-NEGATIVE";
const E2E_THUMBPRINT = "e38aea13f2b051f7183cca64a51ee676f4d4456f41d9fecf15eb367efc7343b9";

async function verifyReferrer(
  layout: VectorLayout,
  signature: Descriptor,
  anchor: { folder: string; file: string },
  options: { subject?: Descriptor; now?: Date } = {},
) {
  const manifestBytes = layout.blob(signature.digest);
  const manifest = layout.json<ImageManifest>(signature.digest);
  return verifyNotarySignature({
    manifest: manifestBytes,
    envelope: layout.blob(manifest.layers[0]!.digest),
    subject: options.subject ?? layout.subject(),
    trustStore: [vectorText(anchor.folder, anchor.file)],
    ...(options.now ? { now: options.now } : {}),
  });
}

describe.each([VALID, MULTIPLE, EXPIRED_SIGNATURE, EXPIRED_CERT, NOT_A_JWS])("%s", (folder) => {
  it("is intact (SHA256SUMS)", () => {
    expect(sha256SumMismatches(folder)).toEqual([]);
  });
});

describe(VALID, () => {
  const layout = new VectorLayout(VALID);
  const anchor = { folder: VALID, file: "trust-anchor-e2e.crt" };
  const [signature] = layout.fallbackReferrers(layout.subject());

  it("is valid with its trust anchor (notary.x509, PS256, as notation signed it)", async () => {
    const verdict = await verifyReferrer(layout, signature!, anchor);
    expect(verdict).toMatchObject({
      ok: true,
      algorithm: "PS256",
      signingScheme: "notary.x509",
      signingAgent: "Notation/1.0.0",
      certificateChain: [E2E_THUMBPRINT],
      trustAnchor: E2E_THUMBPRINT,
    });
    if (verdict.ok) expect(verdict.signingTime.toISOString()).toBe("2023-06-27T05:30:33.000Z");
  });

  it("is untrusted when the trust store holds another certificate", async () => {
    const verdict = await verifyReferrer(layout, signature!, {
      folder: EXPIRED_CERT,
      file: "trust-anchor-expired_e2e.crt",
    });
    expect(verdict).toMatchObject({ ok: false, code: "untrusted" });
  });

  it("is rejected for any other subject", async () => {
    const other = { ...layout.subject(), digest: `sha256:${"0".repeat(64)}` };
    const verdict = await verifyReferrer(layout, signature!, anchor, { subject: other });
    expect(verdict).toMatchObject({ ok: false, code: "subject" });
  });

  it("is rejected when the subject's size or media type differ from targetArtifact", async () => {
    const verdict = await verifyReferrer(layout, signature!, anchor, {
      subject: { ...layout.subject(), size: 518 },
    });
    expect(verdict).toMatchObject({ ok: false, code: "subject" });
    if (!verdict.ok) expect(verdict.reason).toContain("targetArtifact");
  });
});

describe(MULTIPLE, () => {
  const layout = new VectorLayout(MULTIPLE);
  const anchor = { folder: MULTIPLE, file: "trust-anchor-e2e.crt" };
  const subject = layout.subject();

  it("is valid through the signature its fallback index lists", async () => {
    const listed = layout.fallbackReferrers(subject);
    expect(listed.map((d) => d.digest)).toEqual([
      "sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f",
    ]);
    expect(await verifyReferrer(layout, listed[0]!, anchor)).toMatchObject({
      ok: true,
      trustAnchor: E2E_THUMBPRINT,
    });
  });

  it("rejects the second signature (testcert11, not a trust anchor) while the first stays valid", async () => {
    const all = layout.manifestsWithSubject(subject.digest);
    expect(all).toHaveLength(2);
    const verdicts = await Promise.all(all.map((descriptor) => verifyReferrer(layout, descriptor, anchor)));
    const byDigest = Object.fromEntries(all.map((d, i) => [d.digest.slice(7, 15), verdicts[i]]));
    expect(byDigest["90ceaff2"]).toMatchObject({ ok: true });
    expect(byDigest.c3ebe4a2).toMatchObject({ ok: false, code: "untrusted" });
    if (byDigest.c3ebe4a2?.ok === false) expect(byDigest.c3ebe4a2.reason).toContain("testcert11");
  });

  it("would accept the second signature only with testcert11 trusted, before it expired", async () => {
    const second = layout.manifestsWithSubject(subject.digest).find((d) => d.digest.includes("c3ebe4a2"))!;
    const trusted = { folder: MULTIPLE, file: "signing-cert-testcert11.DERIVED-from-x5c.pem" };
    expect(await verifyReferrer(layout, second, trusted)).toMatchObject({ ok: false, code: "expired" });
    const beforeExpiry = new Date("2025-02-17T12:00:00Z");
    expect(await verifyReferrer(layout, second, trusted, { now: beforeExpiry })).toMatchObject({ ok: true });
  });
});

describe(EXPIRED_SIGNATURE, () => {
  const layout = new VectorLayout(EXPIRED_SIGNATURE);
  const anchor = { folder: EXPIRED_SIGNATURE, file: "trust-anchor-e2e.crt" };
  const [signature] = layout.fallbackReferrers(layout.subject());

  it("is rejected: io.cncf.notary.expiry has passed", async () => {
    const verdict = await verifyReferrer(layout, signature!, anchor);
    expect(verdict).toMatchObject({ ok: false, code: "expired" });
    if (!verdict.ok) expect(verdict.reason).toBe("the signature expired at 2023-06-27T05:21:21.000Z");
  });

  it("is otherwise sound: valid within its 60 seconds", async () => {
    const verdict = await verifyReferrer(layout, signature!, anchor, {
      now: new Date("2023-06-27T05:21:00Z"),
    });
    expect(verdict).toMatchObject({ ok: true });
    if (verdict.ok) expect(verdict.expiry?.toISOString()).toBe("2023-06-27T05:21:21.000Z");
  });
});

describe(EXPIRED_CERT, () => {
  const layout = new VectorLayout(EXPIRED_CERT);
  const anchor = { folder: EXPIRED_CERT, file: "trust-anchor-expired_e2e.crt" };
  const [signature] = layout.fallbackReferrers(layout.subject());

  it("is rejected: the signing certificate has expired and there is no timestamp", async () => {
    const verdict = await verifyReferrer(layout, signature!, anchor);
    expect(verdict).toMatchObject({ ok: false, code: "expired" });
    if (!verdict.ok) expect(verdict.reason).toMatch(/is not valid now .* to 2023-06-27T06:10:00\.000Z/);
  });

  it("is otherwise sound: valid while the certificate still was", async () => {
    const verdict = await verifyReferrer(layout, signature!, anchor, {
      now: new Date("2023-06-27T06:09:00Z"),
    });
    expect(verdict).toMatchObject({
      ok: true,
      trustAnchor: "d9927f0d5c45c1bc4206b8c458306bb14b22d594d5086aaff71e1a1443a64632",
    });
  });
});

describe(NOT_A_JWS, () => {
  const layout = new VectorLayout(NOT_A_JWS);
  const anchor = { folder: NOT_A_JWS, file: "trust-anchor-e2e.crt" };
  const [signature] = layout.fallbackReferrers(layout.subject());

  it("is rejected: its layer is not a JWS envelope", async () => {
    const verdict = await verifyReferrer(layout, signature!, anchor);
    expect(verdict).toMatchObject({ ok: false, code: "malformed" });
    if (!verdict.ok) expect(verdict.reason).toContain("not a JWS envelope");
  });

  it("is rejected even when the layer is presented as a JWS", async () => {
    const manifest = layout.json<ImageManifest>(signature!.digest);
    const relabelled = {
      ...manifest,
      layers: [{ ...manifest.layers[0]!, mediaType: "application/jose+json" }],
    };
    const verdict = await verifyNotarySignature({
      manifest: relabelled,
      envelope: layout.blob(manifest.layers[0]!.digest),
      subject: layout.subject(),
      trustStore: [vectorText(NOT_A_JWS, "trust-anchor-e2e.crt")],
    });
    expect(verdict).toMatchObject({ ok: false, code: "malformed" });
    if (!verdict.ok) expect(verdict.reason).toContain("not a JWS envelope (not JSON)");
  });
});

describe("what buildNotarySignature writes has notation's shape", () => {
  const layout = new VectorLayout(VALID);
  const [referrer] = layout.fallbackReferrers(layout.subject());
  const vectorManifest = layout.json<ImageManifest>(referrer!.digest);
  const vectorEnvelope = layout.json<Record<string, unknown>>(vectorManifest.layers[0]!.digest);
  const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

  it("same envelope members, header fields, payload and annotation names", async () => {
    const signer = await LocalSigner.generate("PS256");
    const certificate = await createNotaryCertificate(signer, { subject: { commonName: "shape" } });
    const built = await buildNotarySignature({
      subject: layout.subject(),
      signer,
      certificateChain: [certificate],
    });
    const envelope = JSON.parse(new TextDecoder().decode(built.layer.bytes));
    expect(Object.keys(envelope)).toEqual(Object.keys(vectorEnvelope));
    expect(Object.keys(envelope.header)).toEqual(Object.keys(vectorEnvelope.header as object));
    const ours = decode(envelope.protected);
    const theirs = decode(vectorEnvelope.protected as string);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
    expect({ ...ours, [NotaryHeader.SigningTime]: undefined }).toEqual({
      ...theirs,
      [NotaryHeader.SigningTime]: undefined,
    });
    expect(ours[NotaryHeader.SigningTime]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Same subject, same payload bytes: notation's payload is reproduced exactly.
    expect(envelope.payload).toBe(vectorEnvelope.payload);
    expect(Object.keys(built.annotations)).toEqual(Object.keys(vectorManifest.annotations!));
    expect(built.artifactType).toBe(vectorManifest.config.mediaType);
    expect(built.layer.mediaType).toBe(vectorManifest.layers[0]!.mediaType);
  });
});
