// RFC 3161 timestamps judged by the real tools, with a real TSA (OpenSSL `ts -reply`, test/support/tsa):
// - a Notary signature made with a certificate that lives 25 seconds, by `countersign sign
//   --timestamp-url` and by `notation sign --timestamp-url`, still verifies after the certificate has
//   expired for notation and for countersign when a `tsa` store is trusted, and neither accepts it without;
// - cosign's timestamped bundle and `.sig` (`cosign sign --timestamp-server-url`) and ours verify with
//   `cosign verify --trusted-root --use-signed-timestamps` and with `countersign verify`, and both refuse
//   them against a trusted root naming another TSA;
// - a KMS key (the emulator) signs all three formats with timestamps, verified by notation and cosign.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalSigner } from "../../lib/signing/local.ts";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { issueCertificate } from "../support/signing/test-pki.ts";
import { startTestTsa, type TestTsa } from "../support/tsa/tsa.ts";
import { startRegistryKind } from "./registries.ts";
import { explain } from "./tools.ts";
import { createWorkspace, type PeerKey, type PeerWorkspace } from "./workspace.ts";

const LIFETIME_MS = 25_000;
let workspace: PeerWorkspace;
let kms: KmsEmulator;
let registry: RunningRegistry;
let image: BuiltImage;
let tsa: TestTsa;
let otherTsa: TestTsa;

beforeAll(async () => {
  [tsa, otherTsa, kms] = await Promise.all([
    startTestTsa(),
    startTestTsa({ name: "Other TSA" }),
    startKmsEmulator(),
  ]);
  workspace = await createWorkspace(kms);
  registry = await startRegistryKind("olareg");
  image = await buildImage({ layers: 1 });
}, 120_000);

afterAll(async () => {
  await Promise.all([tsa?.stop(), otherTsa?.stop(), registry?.stop(), image?.cleanup()]);
  await workspace?.remove();
  await kms?.stop();
});

function pem(der: Uint8Array): string {
  const body = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

async function pushed(repository: string): Promise<string> {
  await pushImage(image.dir, `${registry.host}/${repository}:v1`, { tag: image.tag });
  return `${registry.host}/${repository}@${image.manifest.digest}`;
}

/** A notation configuration trusting `caFile` (store `cs`) and, when `tsa` is set, the TSA root (store `tsa`). */
async function notationVerifier(name: string, caFile: string, withTsa: boolean) {
  const env = { XDG_CONFIG_HOME: join(workspace.dir, `notation-verify-${name}`) };
  await mkdir(env.XDG_CONFIG_HOME, { recursive: true });
  await workspace.ok("notation", ["cert", "add", "--type", "ca", "--store", "cs", caFile], env);
  if (withTsa)
    await workspace.ok("notation", ["cert", "add", "--type", "tsa", "--store", "tsa", tsa.rootFile], env);
  const policy = join(workspace.dir, `policy-${name}.json`);
  await writeFile(
    policy,
    JSON.stringify({
      version: "1.0",
      trustPolicies: [
        {
          name: "timestamps",
          registryScopes: ["*"],
          signatureVerification: { level: "strict" },
          trustStores: withTsa ? ["ca:cs", "tsa:tsa"] : ["ca:cs"],
          trustedIdentities: ["*"],
        },
      ],
    }),
  );
  await workspace.ok("notation", ["policy", "import", "--force", policy], env);
  return { env, policy, truststore: join(env.XDG_CONFIG_HOME, "notation", "truststore") };
}

/** A trusted_root.json naming one TSA (leaf and root, as sigstore's own trusted roots list them). */
async function trustedRootFor(name: string, authority: TestTsa): Promise<string> {
  const file = join(workspace.dir, `trusted-root-${name}.json`);
  const chain = [authority.leafDer, authority.rootDer].map((der) => ({
    rawBytes: Buffer.from(der).toString("base64"),
  }));
  await writeFile(
    file,
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [
        {
          subject: { organization: "Countersign tests", commonName: name },
          uri: authority.url,
          certChain: { certificates: chain },
          validFor: { start: "2020-01-01T00:00:00Z" },
        },
      ],
    }),
  );
  return file;
}

const timestampFlags = () => ["--timestamp-url", tsa.url, "--timestamp-root-cert", tsa.rootFile];

describe("a Notary signature outlives its 25-second certificate through a trusted timestamp", () => {
  let ours: string;
  let theirs: string;
  let certificateFile: string;
  let certificateDir: string;

  beforeAll(async () => {
    const key = await workspace.localKey("short-lived", "ES256");
    const signer = await LocalSigner.fromPem(await readFile(key.key, "utf8"));
    const now = Date.now();
    const certificate = await issueCertificate({
      commonName: "short-lived",
      subjectKey: signer,
      names: { C: "US", ST: "WA", O: "Countersign tests" },
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + LIFETIME_MS),
    });
    certificateDir = join(workspace.dir, "short-lived-ca");
    await mkdir(certificateDir);
    certificateFile = join(certificateDir, "short-lived.pem");
    await writeFile(certificateFile, pem(certificate));
    ours = await pushed("stamped/ours");
    theirs = await pushed("stamped/notation");
    const signed = await workspace.countersign([
      "sign",
      ours,
      "--key",
      key.key,
      "--cert",
      certificateFile,
      "--data-dir",
      key.dataDir,
      "--format",
      "notary",
      ...timestampFlags(),
    ]);
    expect(signed.code, explain(signed)).toBe(0);
    // notation signs with a local key named in signingkeys.json, as `notation cert generate-test` writes it.
    const signerEnv = { XDG_CONFIG_HOME: join(workspace.dir, "notation-sign-short") };
    await mkdir(join(signerEnv.XDG_CONFIG_HOME, "notation"), { recursive: true });
    await writeFile(
      join(signerEnv.XDG_CONFIG_HOME, "notation", "signingkeys.json"),
      JSON.stringify({
        default: "short",
        keys: [{ name: "short", keyPath: key.key, certPath: certificateFile }],
      }),
    );
    // Through the referrers API, which olareg serves (notation signs with the tag schema by default).
    await workspace.ok(
      "notation",
      ["sign", "--insecure-registry", "--force-referrers-tag=false", ...timestampFlags(), theirs],
      signerEnv,
    );
    const expired = now + LIFETIME_MS + 2_000 - Date.now();
    if (expired > 0) await new Promise((resolve) => setTimeout(resolve, expired));
  }, 120_000);

  it.each([
    ["ours", () => ours],
    ["notation's", () => theirs],
  ])("%s: notation verify accepts it with a tsa store, refuses it without", async (_who, ref) => {
    const withTsa = await notationVerifier(`tsa-${_who.slice(0, 4)}`, certificateFile, true);
    await workspace.ok("notation", ["verify", "--insecure-registry", ref()], withTsa.env);
    const without = await notationVerifier(`plain-${_who.slice(0, 4)}`, certificateFile, false);
    const refused = await workspace.peer("notation", ["verify", "--insecure-registry", ref()], without.env);
    expect(refused.code, explain(refused)).not.toBe(0);
    expect(refused.stderr).toMatch(/signature verification failed/);
  });

  it.each([
    ["ours", () => ours],
    ["notation's", () => theirs],
  ])("%s: countersign verify agrees, through notation's own policy and truststore too", async (who, ref) => {
    const notation = await notationVerifier(`cs-${who.slice(0, 4)}`, certificateFile, true);
    const viaPolicy = await workspace.countersign([
      "verify",
      ref(),
      "--format",
      "notary",
      "--trust-policy",
      notation.policy,
      "--trust-store-root",
      notation.truststore,
    ]);
    expect(viaPolicy.code, explain(viaPolicy)).toBe(0);
    expect(viaPolicy.stdout).toMatch(/✓ notary\ttrust anchor [0-9a-f]{64}; timestamp /);
    const withTsa = await workspace.countersign([
      "verify",
      ref(),
      "--format",
      "notary",
      "--trust-store",
      certificateDir,
      "--tsa-trust-store",
      tsa.rootFile,
    ]);
    expect(withTsa.code, explain(withTsa)).toBe(0);
    const without = await workspace.countersign([
      "verify",
      ref(),
      "--format",
      "notary",
      "--trust-store",
      certificateDir,
    ]);
    expect(without.code, explain(without)).toBe(1);
    expect(without.stdout).toMatch(/✗ notary\t.*expired: certificate "CN=short-lived.*" is not valid now/);
    const otherTsa = await workspace.countersign([
      "verify",
      ref(),
      "--format",
      "notary",
      "--trust-store",
      certificateDir,
      "--tsa-trust-store",
      otherTsaRoot(),
    ]);
    expect(otherTsa.code, explain(otherTsa)).toBe(1);
    expect(otherTsa.stdout).toMatch(/✗ notary\t.*timestamp: the timestamp countersignature does not verify/);
  });
});

function otherTsaRoot(): string {
  return otherTsa.rootFile;
}

describe("cosign timestamps (bundle and .sig) with a trusted root", () => {
  let cosignRef: string;
  let oursRef: string;
  let ourKey: PeerKey;
  let root: string;
  let otherRoot: string;
  const cosignPub = () => join(workspace.dir, "stamper.pub");

  beforeAll(async () => {
    const empty = { COSIGN_PASSWORD: "" };
    await workspace.ok("cosign-v3", ["generate-key-pair", "--output-key-prefix", "stamper"], empty);
    root = await trustedRootFor("test-tsa", tsa);
    otherRoot = await trustedRootFor("other-tsa", otherTsa);
    cosignRef = await pushed("stamped/cosign");
    const sign = ["sign", "--key", "stamper.key", "--tlog-upload=false", "--use-signing-config=false", "-y"];
    const stamped = [...sign, "--timestamp-server-url", tsa.url, "--allow-http-registry"];
    await workspace.ok("cosign-v3", [...stamped, cosignRef], empty);
    await workspace.ok("cosign-v3", [...stamped, "--new-bundle-format=false", cosignRef], empty);
    ourKey = await workspace.localKey("stamping", "ES256");
    oursRef = await pushed("stamped/countersign");
    const signed = await workspace.countersign([
      "sign",
      oursRef,
      "--key",
      ourKey.key,
      "--data-dir",
      ourKey.dataDir,
      "--format",
      "cosign",
      "--format",
      "bundle",
      ...timestampFlags(),
    ]);
    expect(signed.code, explain(signed)).toBe(0);
  }, 180_000);

  const cosignVerify = (key: string, trustedRoot: string, ref: string, legacy: boolean) =>
    workspace.peer("cosign-v3", [
      "verify",
      "--key",
      key,
      "--trusted-root",
      trustedRoot,
      "--use-signed-timestamps",
      "--insecure-ignore-tlog",
      "--allow-http-registry",
      ...(legacy ? ["--new-bundle-format=false"] : []),
      ref,
    ]);

  it.each([
    ["cosign's", () => cosignRef, () => cosignPub()],
    ["ours", () => oursRef, () => ourKey.publicKeyFile],
  ])(
    "%s: cosign verify --use-signed-timestamps accepts both paths with the TSA's trusted root",
    async (_who, ref, key) => {
      for (const legacy of [false, true]) {
        const run = await cosignVerify(key(), root, ref(), legacy);
        expect(run.code, explain(run)).toBe(0);
      }
    },
  );

  it.each([
    ["cosign's", () => cosignRef, () => cosignPub()],
    ["ours", () => oursRef, () => ourKey.publicKeyFile],
  ])("%s: countersign verify --trusted-root --use-signed-timestamps agrees", async (_who, ref, key) => {
    const args = [
      "verify",
      ref(),
      "--format",
      "cosign",
      "--format",
      "bundle",
      "--key",
      key(),
      "--use-signed-timestamps",
    ];
    const run = await workspace.countersign([...args, "--trusted-root", root]);
    expect(run.code, explain(run)).toBe(0);
    expect(run.stdout).toMatch(/✓ cosign\tpublic key #1, timestamp /);
    expect(run.stdout).toMatch(/✓ bundle/);
  });

  it.each([
    ["cosign's", () => cosignRef, () => cosignPub()],
    ["ours", () => oursRef, () => ourKey.publicKeyFile],
  ])("%s: both refuse them against a trusted root naming another TSA", async (_who, ref, key) => {
    for (const legacy of [false, true]) {
      const run = await cosignVerify(key(), otherRoot, ref(), legacy);
      expect(run.code, explain(run)).not.toBe(0);
    }
    const args = [
      "verify",
      ref(),
      "--format",
      "cosign",
      "--format",
      "bundle",
      "--key",
      key(),
      "--use-signed-timestamps",
    ];
    const run = await workspace.countersign([...args, "--trusted-root", otherRoot]);
    expect(run.code, explain(run)).toBe(1);
    expect(run.stdout).toMatch(/✗ cosign\t.*timestamp: /);
    expect(run.stdout).toMatch(/✗ bundle\t.*timestamp: /);
  });
});

describe("no timestamp where --use-signed-timestamps asks for one", () => {
  it("a bundle is refused by both; a .sig passes both (cosign's legacy path asks nothing of it)", async () => {
    const key = await workspace.localKey("unstamped", "ES256");
    const ref = await pushed("stamped/none");
    const signed = await workspace.countersign([
      ...["sign", ref, "--key", key.key, "--data-dir", key.dataDir],
      ...["--format", "cosign", "--format", "bundle"],
    ]);
    expect(signed.code, explain(signed)).toBe(0);
    const root = await trustedRootFor("unstamped", tsa);
    const flags = ["--key", key.publicKeyFile, "--trusted-root", root, "--use-signed-timestamps"];
    const cosign = (legacy: boolean) =>
      workspace.peer("cosign-v3", [
        ...["verify", ...flags, "--insecure-ignore-tlog", "--allow-http-registry"],
        ...(legacy ? ["--new-bundle-format=false"] : []),
        ref,
      ]);
    const bundle = await cosign(false);
    expect(bundle.code, explain(bundle)).not.toBe(0);
    const sig = await cosign(true);
    expect(sig.code, explain(sig)).toBe(0);
    const ours = await workspace.countersign([
      "verify",
      ref,
      "--format",
      "cosign",
      "--format",
      "bundle",
      ...flags,
    ]);
    expect(ours.code, explain(ours)).toBe(1);
    expect(ours.stdout).toMatch(/✓ cosign\tpublic key #1\n/);
    expect(ours.stdout).toMatch(/✗ bundle\t.*timestamp: the bundle carries no RFC 3161 timestamp/);
  });
});

describe("a KMS key signs all three formats with timestamps", () => {
  let key: PeerKey;
  let ref: string;

  beforeAll(async () => {
    key = await workspace.kmsKey("KMS stamped", kms, "ECC_NIST_P256");
    ref = await pushed("stamped/kms");
    const signed = await workspace.countersign([
      "sign",
      ref,
      "--key",
      key.key,
      "--data-dir",
      key.dataDir,
      ...timestampFlags(),
    ]);
    expect(signed.code, explain(signed)).toBe(0);
  }, 120_000);

  it("notation (tsa store), cosign (both paths, --use-signed-timestamps) and countersign verify them", async () => {
    const notation = await notationVerifier("kms", key.certificateFile, true);
    await workspace.ok("notation", ["verify", "--insecure-registry", ref], notation.env);
    const root = await trustedRootFor("kms-tsa", tsa);
    for (const legacy of [false, true]) {
      await workspace.ok("cosign-v3", [
        "verify",
        "--key",
        key.publicKeyFile,
        "--trusted-root",
        root,
        "--use-signed-timestamps",
        "--insecure-ignore-tlog",
        "--allow-http-registry",
        ...(legacy ? ["--new-bundle-format=false"] : []),
        ref,
      ]);
    }
    const ours = await workspace.countersign([
      "verify",
      ref,
      "--key",
      key.publicKeyFile,
      "--trust-policy",
      notation.policy,
      "--trust-store-root",
      notation.truststore,
      "--trusted-root",
      root,
      "--use-signed-timestamps",
    ]);
    expect(ours.code, explain(ours)).toBe(0);
    expect(ours.stdout.match(/timestamp /g)).toHaveLength(3);
  });
});
