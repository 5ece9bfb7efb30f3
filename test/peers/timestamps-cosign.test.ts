// RFC 3161 timestamps on cosign's formats, judged by cosign v3 and countersign with a real TSA: cosign's
// timestamped bundle and `.sig` (`cosign sign --timestamp-server-url`) and ours verify with `cosign verify
// --trusted-root --use-signed-timestamps` and `countersign verify`, and both refuse them against a trusted
// root naming another TSA; a missing timestamp gets the same verdicts; a KMS key (the emulator) signs
// all three formats with timestamps, verified by notation, cosign and countersign.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KmsEmulator } from "../support/kms/emulator.ts";
import type { TestTsa } from "../support/tsa/tsa.ts";
import { startTimestampPeers, type TimestampPeers } from "./timestamp-peers.ts";
import { explain } from "./tools.ts";
import type { PeerKey, PeerWorkspace } from "./workspace.ts";

let peers: TimestampPeers;
let workspace: PeerWorkspace;
let tsa: TestTsa;
let otherTsa: TestTsa;
let kms: KmsEmulator;
const pushed = (repository: string) => peers.pushed(repository);
const notationVerifier = (name: string, caFile: string, withTsa: boolean) =>
  peers.notationVerifier(name, caFile, withTsa);
const trustedRootFor = (name: string, authority: TestTsa) => peers.trustedRootFor(name, authority);
const timestampFlags = () => peers.timestampFlags();

beforeAll(async () => {
  peers = await startTimestampPeers();
  ({ workspace, tsa, otherTsa, kms } = peers);
}, 120_000);

afterAll(async () => {
  await peers?.stop();
});

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

  /** `countersign verify` of the cosign formats requiring a signed timestamp, as cosign's flag does. */
  const verifyStamped = (ref: string, key: string) => [
    "verify",
    ref,
    "--format",
    "cosign",
    "--format",
    "bundle",
    "--key",
    key,
    "--use-signed-timestamps",
  ];

  it.each([
    ["cosign's", () => cosignRef, () => cosignPub()],
    ["ours", () => oursRef, () => ourKey.publicKeyFile],
  ])("%s: countersign verify --trusted-root --use-signed-timestamps agrees", async (_who, ref, key) => {
    const run = await workspace.countersign([...verifyStamped(ref(), key()), "--trusted-root", root]);
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
    const run = await workspace.countersign([...verifyStamped(ref(), key()), "--trusted-root", otherRoot]);
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
