// verifyNotarySignature on envelopes crafted to break one rule each: what notation-core-go's JWS
// envelope and verifier refuse, we refuse, with the reason.
import { beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../../test/support/signing/test-pki.ts";
import { toBase64, toBase64Url, utf8 } from "../../encoding.ts";
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { digestOf } from "../../oci/digest.ts";
import { LocalSigner } from "../../signing/local.ts";
import type { Signer } from "../../signing/signer.ts";
import { certificateThumbprints, ThumbprintAnnotation } from "./thumbprint.ts";
import { verifyNotarySignature } from "./verify.ts";

const subject: Descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"c".repeat(64)}`,
  size: 1234,
};
const signingTime = "2026-01-02T03:04:05Z";
const now = new Date("2026-02-01T00:00:00Z");

let signer: Signer;
let root: Signer;
let certificate: Uint8Array;
let rootCertificate: Uint8Array;
let chainedLeaf: Uint8Array;

beforeAll(async () => {
  signer = await LocalSigner.generate("ES256");
  root = await LocalSigner.generate("ES384");
  const validity = {
    notBefore: new Date("2025-01-01T00:00:00Z"),
    notAfter: new Date("2027-01-01T00:00:00Z"),
  };
  certificate = await issueCertificate({ commonName: "leaf", subjectKey: signer, ...validity });
  rootCertificate = await issueCertificate({ commonName: "root", subjectKey: root, ca: true, ...validity });
  chainedLeaf = await issueCertificate({
    commonName: "leaf",
    subjectKey: signer,
    issuer: { commonName: "root", signer: root },
    ...validity,
  });
});

interface Craft {
  readonly header?: Record<string, unknown>;
  readonly unprotected?: Record<string, unknown>;
  readonly payload?: unknown;
  readonly chain?: Uint8Array[];
  readonly manifest?: (manifest: ImageManifest) => ImageManifest;
}

function defaultHeader(): Record<string, unknown> {
  return {
    alg: "ES256",
    crit: ["io.cncf.notary.signingScheme"],
    cty: "application/vnd.cncf.notary.payload.v1+json",
    "io.cncf.notary.signingScheme": "notary.x509",
    "io.cncf.notary.signingTime": signingTime,
  };
}

async function craft(options: Craft = {}) {
  const chain = options.chain ?? [certificate];
  const protectedHeader = toBase64Url(utf8(JSON.stringify(options.header ?? defaultHeader())));
  const payload = toBase64Url(utf8(JSON.stringify(options.payload ?? { targetArtifact: subject })));
  const signature = await signer.sign(utf8(`${protectedHeader}.${payload}`), "raw");
  const envelope = utf8(
    JSON.stringify({
      payload,
      protected: protectedHeader,
      header: { x5c: chain.map((der) => toBase64(der)), ...options.unprotected },
      signature: toBase64Url(signature),
    }),
  );
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.cncf.notary.signature",
      digest: `sha256:${"4".repeat(64)}`,
      size: 2,
    },
    layers: [{ mediaType: "application/jose+json", digest: await digestOf(envelope), size: envelope.length }],
    subject,
    annotations: { [ThumbprintAnnotation]: JSON.stringify(await certificateThumbprints(chain)) },
  };
  return { manifest: options.manifest ? options.manifest(manifest) : manifest, envelope };
}

async function verdictFor(options: Craft = {}, trustStore: Uint8Array[] = [certificate]) {
  const { manifest, envelope } = await craft(options);
  return verifyNotarySignature({ manifest, envelope, subject, trustStore, now });
}

const withHeader = (changes: Record<string, unknown>) => ({ header: { ...defaultHeader(), ...changes } });

describe("verifyNotarySignature", () => {
  it("accepts the crafted baseline (so each case below fails for its own reason)", async () => {
    expect(await verdictFor()).toMatchObject({ ok: true, algorithm: "ES256" });
  });

  it("trusts a chain through any of its certificates, as notation does", async () => {
    expect(await verdictFor({ chain: [chainedLeaf, rootCertificate] }, [rootCertificate])).toMatchObject({
      ok: true,
    });
    expect(await verdictFor({ chain: [chainedLeaf, rootCertificate] }, [chainedLeaf])).toMatchObject({
      ok: true,
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ["an RS256 alg", { alg: "RS256" }, "unsupported", /alg RS256 is not allowed/],
    ["alg none", { alg: "none" }, "unsupported", /alg none/],
    [
      "an alg that does not fit the key",
      { alg: "ES384" },
      "key",
      /does not match the signing certificate's key \(EC P-256\)/,
    ],
    ["another cty", { cty: "application/json" }, "unsupported", /cty/],
    [
      "an unknown signing scheme",
      { "io.cncf.notary.signingScheme": "notary.x509.other" },
      "unsupported",
      /signing scheme/,
    ],
    [
      "the signingAuthority scheme with signingTime (it takes authenticSigningTime)",
      { "io.cncf.notary.signingScheme": "notary.x509.signingAuthority" },
      "malformed",
      /signingTime must not be present/,
    ],
    ["no signing time", { "io.cncf.notary.signingTime": undefined }, "malformed", /signingTime is missing/],
    [
      "a signing time that is not RFC 3339",
      { "io.cncf.notary.signingTime": "2026-01-02 03:04:05" },
      "malformed",
      /RFC 3339/,
    ],
    ["an empty crit", { crit: [] }, "malformed", /crit must not be empty/],
    [
      "crit without the signing scheme",
      { crit: ["io.cncf.notary.expiry"], "io.cncf.notary.expiry": "2026-06-01T00:00:00Z" },
      "malformed",
      /signingScheme must be marked critical/,
    ],
    [
      "an expiry not marked critical",
      { "io.cncf.notary.expiry": "2026-06-01T00:00:00Z" },
      "malformed",
      /expiry must be marked critical/,
    ],
    [
      "a critical header nobody understands",
      { crit: ["io.cncf.notary.signingScheme", "com.example.must"], "com.example.must": 1 },
      "unsupported",
      /com\.example\.must is not understood/,
    ],
    [
      "a critical header that is absent",
      { crit: ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"] },
      "malformed",
      /expiry is not present/,
    ],
    [
      "an expiry before the signing time",
      {
        crit: ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"],
        "io.cncf.notary.expiry": "2026-01-01T00:00:00Z",
      },
      "malformed",
      /not after the signing time/,
    ],
  ])("rejects a protected header with %s", async (_name, changes, code, reason) => {
    const verdict = await verdictFor(withHeader(changes));
    expect(verdict).toMatchObject({ ok: false, code, reason: expect.stringMatching(reason) });
  });

  it("accepts signing times with fractional seconds or offsets, as Go's time parsing does", async () => {
    expect(
      await verdictFor(withHeader({ "io.cncf.notary.signingTime": "2026-01-02T11:04:05.123+08:00" })),
    ).toMatchObject({ ok: true });
  });

  it("rejects a header parameter repeated in the unprotected header (RFC 7515 §7.2.1)", async () => {
    const verdict = await verdictFor({ unprotected: { alg: "ES256" } });
    expect(verdict).toMatchObject({ ok: false, code: "malformed" });
  });

  it("rejects a payload without targetArtifact, and one for another artifact", async () => {
    expect(await verdictFor({ payload: { target: subject } })).toMatchObject({
      ok: false,
      code: "malformed",
    });
    const other = { ...subject, digest: `sha256:${"d".repeat(64)}` };
    expect(await verdictFor({ payload: { targetArtifact: other } })).toMatchObject({
      ok: false,
      code: "subject",
    });
  });

  it("rejects an x5c entry that is not a certificate", async () => {
    const verdict = await verdictFor({ unprotected: { x5c: ["bm90IGEgY2VydA=="] } });
    expect(verdict).toMatchObject({
      ok: false,
      code: "certificate",
      reason: "x5c[0] is not a base64 DER certificate",
    });
  });

  it("checks the manifest: one JWS layer, a subject that is ours, the envelope it names", async () => {
    const twoLayers = await verdictFor({ manifest: (m) => ({ ...m, layers: [m.layers[0]!, m.layers[0]!] }) });
    expect(twoLayers).toMatchObject({
      ok: false,
      code: "malformed",
      reason: expect.stringMatching(/exactly one layer/),
    });
    const noSubject = await verdictFor({ manifest: ({ subject: _, ...m }) => m });
    expect(noSubject).toMatchObject({
      ok: false,
      code: "malformed",
      reason: "the signature manifest has no subject",
    });
    const otherSubject = await verdictFor({
      manifest: (m) => ({ ...m, subject: { ...subject, digest: `sha256:${"e".repeat(64)}` } }),
    });
    expect(otherSubject).toMatchObject({ ok: false, code: "subject" });
    const otherBlob = await verdictFor({
      manifest: (m) => ({ ...m, layers: [{ ...m.layers[0]!, size: 1 }] }),
    });
    expect(otherBlob).toMatchObject({
      ok: false,
      code: "malformed",
      reason: expect.stringMatching(/is not the manifest's layer/),
    });
    const notImage = await verifyNotarySignature({
      manifest: utf8("{}"),
      envelope: utf8("{}"),
      subject,
      trustStore: [],
    });
    expect(notImage).toMatchObject({ ok: false, code: "malformed" });
  });

  it("requires the thumbprint annotation; compares it without regard to hex case", async () => {
    const missing = await verdictFor({ manifest: (m) => ({ ...m, annotations: {} }) });
    expect(missing).toMatchObject({ ok: false, code: "thumbprint", reason: expect.stringMatching(/has no/) });
    const upper = await verdictFor({
      manifest: (m) => ({
        ...m,
        annotations: { [ThumbprintAnnotation]: m.annotations![ThumbprintAnnotation]!.toUpperCase() },
      }),
    });
    expect(upper).toMatchObject({ ok: true });
  });
});
