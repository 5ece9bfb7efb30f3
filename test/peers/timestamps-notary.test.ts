// A Notary signature made with a certificate that lives 25 seconds, by `countersign sign --timestamp-url`
// and by `notation sign --timestamp-url` (a real TSA: OpenSSL `ts -reply`), still verifies after the
// certificate has expired, for notation and for countersign, when a `tsa` store is trusted; neither
// accepts it without one.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalSigner } from "../../lib/signing/local.ts";
import { issueCertificate } from "../support/signing/test-pki.ts";
import type { TestTsa } from "../support/tsa/tsa.ts";
import { pem, startTimestampPeers, type TimestampPeers } from "./timestamp-peers.ts";
import { explain } from "./tools.ts";
import type { PeerWorkspace } from "./workspace.ts";

const LIFETIME_MS = 25_000;

let peers: TimestampPeers;
let workspace: PeerWorkspace;
let tsa: TestTsa;
let otherTsa: TestTsa;
const pushed = (repository: string) => peers.pushed(repository);
const notationVerifier = (name: string, caFile: string, withTsa: boolean) =>
  peers.notationVerifier(name, caFile, withTsa);
const timestampFlags = () => peers.timestampFlags();

beforeAll(async () => {
  peers = await startTimestampPeers();
  ({ workspace, tsa, otherTsa } = peers);
}, 120_000);

afterAll(async () => {
  await peers?.stop();
});

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
    const verify = (...trust: string[]) =>
      workspace.countersign(["verify", ref(), "--format", "notary", ...trust]);
    const viaPolicy = await verify(
      "--trust-policy",
      notation.policy,
      "--trust-store-root",
      notation.truststore,
    );
    expect(viaPolicy.code, explain(viaPolicy)).toBe(0);
    expect(viaPolicy.stdout).toMatch(/✓ notary\ttrust anchor [0-9a-f]{64}; timestamp /);
    const withTsa = await verify("--trust-store", certificateDir, "--tsa-trust-store", tsa.rootFile);
    expect(withTsa.code, explain(withTsa)).toBe(0);
    const without = await verify("--trust-store", certificateDir);
    expect(without.code, explain(without)).toBe(1);
    expect(without.stdout).toMatch(/✗ notary\t.*expired: certificate "CN=short-lived.*" is not valid now/);
    const otherTsa = await verify("--trust-store", certificateDir, "--tsa-trust-store", otherTsaRoot());
    expect(otherTsa.code, explain(otherTsa)).toBe(1);
    expect(otherTsa.stdout).toMatch(/✗ notary\t.*timestamp: the timestamp countersignature does not verify/);
  });
});

function otherTsaRoot(): string {
  return otherTsa.rootFile;
}
