// Notary signatures with RFC 3161 timestamps (a real OpenSSL TSA) and notation trust policies: the
// signature outlives its certificate only through a trusted timestamp, and every refusal names why.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../../test/support/signing/test-pki.ts";
import { startTestTsa, type TestTsa } from "../../../test/support/tsa/tsa.ts";
import { fromBase64Url, fromUtf8, toBase64, utf8 } from "../../encoding.ts";
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { digestOf } from "../../oci/digest.ts";
import { LocalSigner } from "../../signing/local.ts";
import { httpTimestamper, type Timestamper } from "../timestamp/client.ts";
import { buildNotarySignature } from "./build.ts";
import { SigningSchemeAuthority } from "./envelope.ts";
import { TrustPolicyDocument } from "./trust-policy.ts";
import { resolveTrust } from "./trust-resolution.ts";
import { type VerifyNotaryOptions, verifyNotarySignature } from "./verify.ts";

const subject: Descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"d".repeat(64)}`,
  size: 321,
};
const hour = 3600_000;
let tsa: TestTsa;
let otherTsa: TestTsa;
let timestamper: Timestamper;
let signer: LocalSigner;
let shortLived: Uint8Array;
let expiredAlready: Uint8Array;
let notAfter: Date;

beforeAll(async () => {
  [tsa, otherTsa] = await Promise.all([startTestTsa(), startTestTsa({ name: "Other TSA" })]);
  timestamper = httpTimestamper({ url: tsa.url, roots: [tsa.rootDer] });
  signer = await LocalSigner.generate("ES256");
  notAfter = new Date(Date.now() + hour);
  const subjectName = { commonName: "short-lived", subjectKey: signer };
  shortLived = await issueCertificate({ ...subjectName, notBefore: new Date(Date.now() - hour), notAfter });
  expiredAlready = await issueCertificate({
    ...subjectName,
    notBefore: new Date(Date.now() - 2 * hour),
    notAfter: new Date(Date.now() - hour),
  });
}, 30_000);

afterAll(async () => {
  await Promise.all([tsa?.stop(), otherTsa?.stop()]);
});

async function signed(options: { certificate?: Uint8Array; stamp?: boolean; authority?: boolean } = {}) {
  const certificate = options.certificate ?? shortLived;
  const artifact = await buildNotarySignature({
    subject,
    signer,
    certificateChain: [certificate],
    ...(options.stamp !== false && !options.authority && { timestamper }),
    ...(options.authority && { signingScheme: SigningSchemeAuthority }),
  });
  const layer = artifact.layer.bytes;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: artifact.artifactType,
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: await digestOf(utf8("{}")), size: 2 },
    layers: [{ mediaType: artifact.layer.mediaType, digest: await digestOf(layer), size: layer.length }],
    subject,
    annotations: artifact.annotations,
  };
  return { manifest, envelope: layer, certificate };
}

const afterExpiry = () => new Date(notAfter.getTime() + 24 * hour);

function verify(
  signature: { manifest: ImageManifest; envelope: Uint8Array },
  options: Partial<VerifyNotaryOptions>,
) {
  return verifyNotarySignature({ ...signature, subject, trustStore: [], ...options });
}

function policy(statement: Record<string, unknown>) {
  return TrustPolicyDocument.parse({
    version: "1.0",
    trustPolicies: [
      {
        name: "p",
        registryScopes: ["*"],
        signatureVerification: { level: "strict" },
        trustStores: ["ca:acme", "tsa:tsa"],
        trustedIdentities: ["*"],
        ...statement,
      },
    ],
  });
}

describe("timestamped Notary signatures", () => {
  it("carry io.cncf.notary.timestampSignature: a token over the signature value", async () => {
    const { envelope } = await signed();
    const jws = JSON.parse(fromUtf8(envelope));
    expect(Object.keys(jws.header)).toEqual([
      "io.cncf.notary.timestampSignature",
      "x5c",
      "io.cncf.notary.signingAgent",
    ]);
    expect(jws.header["io.cncf.notary.timestampSignature"]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(fromBase64Url(jws.signature)).toHaveLength(64);
  });

  it("verify after the certificate expired, through the trusted timestamp (as notation does)", async () => {
    const signature = await signed();
    const stores = { trustStore: [signature.certificate], tsaTrustStore: [tsa.rootDer], now: afterExpiry() };
    const verdict = await verify(signature, stores);
    expect(verdict).toMatchObject({ ok: true, warnings: [] });
    if (verdict.ok) expect(Math.abs(verdict.timestamp!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("are expired after the certificate expired when no tsa store is trusted", async () => {
    const signature = await signed();
    const verdict = await verify(signature, { trustStore: [signature.certificate], now: afterExpiry() });
    expect(verdict).toMatchObject({
      ok: false,
      code: "expired",
      reason: expect.stringMatching(/is not valid now/),
    });
  });

  it.each<[string, () => Promise<Partial<VerifyNotaryOptions> & { stamp?: boolean }>, string, RegExp]>([
    [
      "no timestamp where a tsa store is trusted",
      async () => ({ stamp: false }),
      "timestamp",
      /no timestamp countersignature/,
    ],
    [
      "a timestamp from an untrusted TSA",
      async () => ({ tsaTrustStore: [otherTsa.rootDer] }),
      "timestamp",
      /trusted TSA root/,
    ],
  ])("refuse %s", async (_name, setup, code, reason) => {
    const { stamp, ...options } = await setup();
    const signature = await signed({ stamp: stamp !== false });
    const verdict = await verify(signature, {
      trustStore: [signature.certificate],
      tsaTrustStore: [tsa.rootDer],
      ...options,
    });
    expect(verdict).toMatchObject({ ok: false, code, reason: expect.stringMatching(reason) });
  });

  it("refuse a corrupt timestamp token, with its own reason", async () => {
    const signature = await signed();
    const jws = JSON.parse(fromUtf8(signature.envelope));
    jws.header["io.cncf.notary.timestampSignature"] = toBase64(utf8("not a token"));
    const envelope = utf8(JSON.stringify(jws));
    const manifest = {
      ...signature.manifest,
      layers: [{ ...signature.manifest.layers[0]!, digest: await digestOf(envelope), size: envelope.length }],
    };
    const verdict = await verify(
      { manifest, envelope },
      { trustStore: [signature.certificate], tsaTrustStore: [tsa.rootDer] },
    );
    expect(verdict).toMatchObject({
      ok: false,
      code: "timestamp",
      reason: expect.stringMatching(/malformed/),
    });
  });

  it("refuse a timestamp taken after the certificate expired", async () => {
    const signature = await signed({ certificate: expiredAlready });
    const verdict = await verify(signature, { trustStore: [expiredAlready], tsaTrustStore: [tsa.rootDer] });
    expect(verdict).toMatchObject({
      ok: false,
      code: "expired",
      reason: expect.stringMatching(/can be after certificate/),
    });
  });
});

describe("a notation trust policy", () => {
  const trust = (
    signature: { certificate: Uint8Array },
    statement: Record<string, unknown> = {},
    scope = "r.example/app",
  ) =>
    resolveTrust(
      { policy: policy(statement), stores: { "ca:acme": [signature.certificate], "tsa:tsa": [tsa.rootDer] } },
      scope,
    );

  it("with a tsa store lets the signature outlive its certificate", async () => {
    const signature = await signed();
    expect(await verify(signature, { trust: trust(signature)!, now: afterExpiry() })).toMatchObject({
      ok: true,
      policy: "p",
    });
  });

  it("verifyTimestamp afterCertExpiry: no timestamp needed while the certificate is valid, required after", async () => {
    const signature = await signed({ stamp: false });
    const resolved = trust(signature, {
      signatureVerification: { level: "strict", verifyTimestamp: "afterCertExpiry" },
    })!;
    expect(await verify(signature, { trust: resolved })).toMatchObject({ ok: true });
    expect(await verify(signature, { trust: resolved, now: afterExpiry() })).toMatchObject({
      ok: false,
      code: "timestamp",
    });
  });

  it("permissive logs an expired certificate instead of refusing; skip verifies nothing", async () => {
    const signature = await signed({ stamp: false });
    const permissive = trust(signature, {
      signatureVerification: { level: "permissive" },
      trustStores: ["ca:acme"],
    })!;
    const verdict = await verify(signature, { trust: permissive, now: afterExpiry() });
    expect(verdict).toMatchObject({
      ok: true,
      warnings: [expect.stringMatching(/^expired: .*is not valid now/)],
    });
    const skip = resolveTrust(
      {
        policy: TrustPolicyDocument.parse({
          version: "1.0",
          trustPolicies: [{ name: "s", registryScopes: ["*"], signatureVerification: { level: "skip" } }],
        }),
        stores: {},
      },
      undefined,
    )!;
    expect(await verify(signature, { trust: skip })).toMatchObject({ ok: true, skipped: true });
  });

  it("trusts identities by subject DN (C, ST and O required), and names a mismatch", async () => {
    const named = await issueCertificate({
      commonName: "builder",
      subjectKey: signer,
      names: { C: "US", ST: "WA", O: "Acme" },
      notBefore: new Date(Date.now() - hour),
      notAfter,
    });
    const signature = await signed({ certificate: named });
    const identity = (dn: string) => trust(signature, { trustedIdentities: [`x509.subject:${dn}`] })!;
    expect(await verify(signature, { trust: identity("C=US, ST=WA, O=Acme") })).toMatchObject({ ok: true });
    expect(await verify(signature, { trust: identity("C=US, ST=WA, O=Other") })).toMatchObject({
      ok: false,
      code: "identity",
    });
    const anonymous = await signed();
    const verdict = await verify(anonymous, {
      trust: trust(anonymous, { trustedIdentities: ["x509.subject:C=US, ST=WA, O=Acme"] })!,
    });
    expect(verdict).toMatchObject({ ok: false, code: "identity", reason: expect.stringMatching(/lacks C/) });
  });

  it("chooses the statement by registry scope, the exact one over the wildcard", () => {
    const document = TrustPolicyDocument.parse({
      version: "1.0",
      trustPolicies: [
        {
          name: "exact",
          registryScopes: ["r.example/app"],
          signatureVerification: { level: "strict" },
          trustStores: ["ca:a"],
          trustedIdentities: ["*"],
        },
        {
          name: "rest",
          registryScopes: ["*"],
          signatureVerification: { level: "audit" },
          trustStores: ["ca:a"],
          trustedIdentities: ["*"],
        },
      ],
    });
    expect(resolveTrust({ policy: document, stores: {} }, "r.example/app")?.name).toBe("exact");
    expect(resolveTrust({ policy: document, stores: {} }, "r.example/other")?.name).toBe("rest");
    expect(
      resolveTrust(
        { policy: { ...document, trustPolicies: [document.trustPolicies[0]!] }, stores: {} },
        "x/y",
      ),
    ).toBeUndefined();
  });

  it.each([
    ["a wildcard scope with others", { registryScopes: ["*", "r.example/app"] }, /wildcard registry scope/],
    ["a malformed store", { trustStores: ["acme"] }, /malformed trust store/],
    ["an identity without C, ST and O", { trustedIdentities: ["x509.subject:CN=x"] }, /lacks C/],
    [
      "skipping authenticity",
      { signatureVerification: { level: "strict", override: { authenticity: "skip" } } },
      /cannot be skipped/,
    ],
  ])("refuses a document with %s, as notation does", (_name, statement, problem) => {
    const parsed = TrustPolicyDocument.safeParse({
      version: "1.0",
      trustPolicies: [
        {
          name: "p",
          registryScopes: ["*"],
          signatureVerification: { level: "strict" },
          trustStores: ["ca:a"],
          trustedIdentities: ["*"],
          ...statement,
        },
      ],
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(problem);
  });
});

describe("notary.x509.signingAuthority", () => {
  const authorityTrust = (certificate: Uint8Array) =>
    resolveTrust(
      {
        policy: policy({ trustStores: ["signingAuthority:sa"] }),
        stores: { "signingAuthority:sa": [certificate] },
      },
      undefined,
    )!;

  it("verifies with a signingAuthority store, its authenticSigningTime in the certificate's validity", async () => {
    const signature = await signed({ authority: true });
    const header = JSON.parse(fromUtf8(fromBase64Url(JSON.parse(fromUtf8(signature.envelope)).protected)));
    expect(header.crit).toEqual(["io.cncf.notary.signingScheme", "io.cncf.notary.authenticSigningTime"]);
    const verdict = await verify(signature, {
      trust: authorityTrust(signature.certificate),
      now: afterExpiry(),
    });
    expect(verdict).toMatchObject({ ok: true, signingScheme: "notary.x509.signingAuthority" });
  });

  it("is untrusted through a ca store, and expired when signed outside the certificate's validity", async () => {
    const signature = await signed({ authority: true });
    expect(await verify(signature, { trustStore: [signature.certificate] })).toMatchObject({
      ok: false,
      code: "untrusted",
    });
    const late = await signed({ authority: true, certificate: expiredAlready });
    expect(await verify(late, { trust: authorityTrust(expiredAlready) })).toMatchObject({
      ok: false,
      code: "expired",
      reason: expect.stringMatching(/when the signature was produced/),
    });
  });

  it("refuses a timestamper: notation would drop the timestamp", async () => {
    await expect(
      buildNotarySignature({
        subject,
        signer,
        certificateChain: [shortLived],
        timestamper,
        signingScheme: SigningSchemeAuthority,
      }),
    ).rejects.toThrow(/carry no RFC 3161 timestamp/);
  });
});
