// The reverse direction: signatures written by `cosign sign --key` (bundle and legacy `.sig`), by
// `notation sign` (tag schema and referrers API) and artifacts attached by `oras attach` are listed by
// `countersign discover`, judged by `countersign verify` as cosign and notation judge them, and carried
// by `countersign copy --referrers` between distribution and olareg so that the tools still verify at the
// destination, the same set of referrers that `regctl image copy --referrers --digest-tags` carries.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../../functions/node/service.ts";
import { parseConfig } from "../../lib/config/load.ts";
import { silentLogger } from "../../lib/observability/logger.ts";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { type RegistryKind, startRegistryKind } from "./registries.ts";
import { COSIGN_SIGN_OFFLINE, explain } from "./tools.ts";
import { cosignPayloads, createWorkspace, type PeerWorkspace } from "./workspace.ts";

const NotaryType = "application/vnd.cncf.notary.signature";
const BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
const NoteType = "application/vnd.test.note";

let workspace: PeerWorkspace;
let image: BuiltImage;
const registries = {} as Record<"distribution" | "olareg", RunningRegistry>;
/** cosign's key pair (encrypted private key, empty password) and a notation test key and certificate. */
let cosignPub: string;
let otherPub: string;
let notationEnv: { XDG_CONFIG_HOME: string };
let trustStore: string;
let otherTrustStore: string;

const cosign = ["--key", "peer.key", ...COSIGN_SIGN_OFFLINE];

beforeAll(async () => {
  workspace = await createWorkspace();
  image = await buildImage({ layers: 1 });
  registries.distribution = await startRegistryKind("distribution");
  registries.olareg = await startRegistryKind("olareg");
  cosignPub = (await workspace.cosignKeyPair("peer")).publicKey;
  otherPub = (await workspace.cosignKeyPair("other")).publicKey;
  const peer = await workspace.notationTestKey("peertest");
  notationEnv = peer.env;
  trustStore = peer.trustStore;
  otherTrustStore = (await workspace.notationTestKey("other")).trustStore;
  await writeFile(join(workspace.dir, "note.txt"), "a note attached by oras\n");
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(registries).map((r) => r.stop()));
  await image?.cleanup();
  await workspace?.remove();
});

/** Pushes the image to `repository` and lets every peer sign or attach to it. */
async function signedByPeers(kind: RegistryKind, repository: string, notationReferrersApi: boolean) {
  const { host } = registries[kind as "distribution" | "olareg"];
  await pushImage(image.dir, `${host}/${repository}:v1`, { tag: image.tag });
  const ref = `${host}/${repository}@${image.manifest.digest}`;
  const empty = { COSIGN_PASSWORD: "" };
  await workspace.ok("cosign-v3", ["sign", ...cosign, ref], empty);
  await workspace.ok("cosign-v3", ["sign", ...cosign, "--new-bundle-format=false", ref], empty);
  // notation writes the tag schema unless told to use the API (--force-referrers-tag=false).
  await workspace.ok(
    "notation",
    ["sign", "--insecure-registry", `--force-referrers-tag=${!notationReferrersApi}`, ref],
    notationEnv,
  );
  await workspace.ok("oras", [
    "attach",
    "--plain-http",
    "--artifact-type",
    NoteType,
    ref,
    "note.txt:text/plain",
  ]);
  return ref;
}

describe.each([
  ["distribution", false],
  ["olareg", false],
  ["olareg", true],
] as const)(
  "signed by cosign, notation and oras on %s (notation through the referrers API: %s)",
  (kind, viaApi) => {
    let ref: string;

    beforeAll(async () => {
      ref = await signedByPeers(kind, `reverse/${kind}-${viaApi ? "api" : "tag"}`, viaApi);
    }, 120_000);

    it("countersign discover lists the bundle, the Notary signature and the oras note", async () => {
      const run = await workspace.countersign(["discover", ref, "--json"]);
      expect(run.code, explain(run)).toBe(0);
      const found = JSON.parse(run.stdout) as { referrers: Array<{ artifactType?: string; tag?: string }> };
      // Referrers by subject; cosign's digest tags (listed with `tag`) are not referrers.
      const referrers = found.referrers.filter((r) => r.tag === undefined);
      expect(referrers.map((r) => r.artifactType).sort()).toEqual([BundleType, NotaryType, NoteType].sort());
    });

    it("countersign verify accepts them with cosign's key and notation's certificate", async () => {
      const run = await workspace.countersign([
        "verify",
        ref,
        "--key",
        cosignPub,
        "--trust-store",
        trustStore,
      ]);
      expect(run.code, explain(run)).toBe(0);
      expect(run.stdout).toMatch(/✓ notary/);
      expect(run.stdout).toMatch(/✓ cosign/);
      expect(run.stdout).toMatch(/✓ bundle/);
    });

    it("countersign verify refuses them with another key and another certificate, as cosign and notation do", async () => {
      const ours = await workspace.countersign([
        "verify",
        ref,
        "--key",
        otherPub,
        "--trust-store",
        otherTrustStore,
      ]);
      expect(ours.code, explain(ours)).toBe(1);
      for (const format of ["notary", "cosign", "bundle"])
        expect(ours.stdout).toMatch(new RegExp(`✗ ${format}`));
      const wrongKey = ["verify", "--key", otherPub, "--insecure-ignore-tlog", "--allow-http-registry", ref];
      for (const run of [
        await workspace.peer("cosign-v3", wrongKey),
        await workspace.peer("cosign-v3", [...wrongKey, "--new-bundle-format=false"]),
      ]) {
        expect(run.code, explain(run)).not.toBe(0);
      }
      const otherTrust = await workspace.notationTrust(`other-${kind}-${viaApi}`, [
        join(otherTrustStore, "other.pem"),
      ]);
      const notation = await workspace.peer("notation", ["verify", "--insecure-registry", ref], otherTrust);
      expect(notation.code, explain(notation)).not.toBe(0);
      // …and the right key and certificate satisfy the peers themselves.
      await workspace.ok("cosign-v3", [
        "verify",
        "--key",
        cosignPub,
        "--insecure-ignore-tlog",
        "--allow-http-registry",
        ref,
      ]);
      await workspace.ok("notation", ["verify", "--insecure-registry", ref], notationEnv);
    });
  },
);

describe.each([
  ["distribution", "olareg"],
  ["olareg", "distribution"],
] as const)("countersign copy --referrers from %s to %s", (from, to) => {
  let source: string;
  let ours: string;
  let theirs: string;

  beforeAll(async () => {
    source = await signedByPeers(from, `copy/${from}-to-${to}`, from === "olareg");
    ours = `${registries[to].host}/copied-by-countersign/${from}`;
    theirs = `${registries[to].host}/copied-by-regctl/${from}`;
    const copied = await workspace.countersign(["copy", source, `${ours}:v1`, "--referrers"]);
    expect(copied.code, explain(copied)).toBe(0);
    const hosts = [registries[from].host, registries[to].host].flatMap((h) => [
      "--host",
      `reg=${h},tls=disabled`,
    ]);
    await workspace.ok("regctl", [
      ...hosts,
      "image",
      "copy",
      "--referrers",
      "--digest-tags",
      source,
      `${theirs}:v1`,
    ]);
  }, 120_000);

  it("cosign verifies the bundle and the .sig signature at the destination", async () => {
    const ref = `${ours}@${image.manifest.digest}`;
    const flags = ["verify", "--key", cosignPub, "--insecure-ignore-tlog", "--allow-http-registry"];
    const bundle = await workspace.ok("cosign-v3", [...flags, ref]);
    expect(cosignPayloads(bundle).map((p) => p.critical.type)).toEqual([
      "https://sigstore.dev/cosign/sign/v1",
    ]);
    const sig = await workspace.ok("cosign-v3", [...flags, "--new-bundle-format=false", ref]);
    expect(cosignPayloads(sig).map((p) => p.critical.type)).toEqual(["cosign container image signature"]);
  });

  it("notation verifies the Notary signature at the destination", async () => {
    await workspace.ok(
      "notation",
      ["verify", "--insecure-registry", `${ours}@${image.manifest.digest}`],
      notationEnv,
    );
  });

  it("carries the same referrers and the same .sig manifest as regctl image copy --referrers --digest-tags", async () => {
    const listing = async (repository: string) => {
      const run = await workspace.countersign([
        "discover",
        `${repository}@${image.manifest.digest}`,
        "--json",
      ]);
      expect(run.code, explain(run)).toBe(0);
      return (JSON.parse(run.stdout) as { referrers: Array<{ digest: string; tag?: string }> }).referrers
        .map((r) => `${r.tag ?? "referrer"} ${r.digest}`)
        .sort();
    };
    expect(await listing(ours)).toEqual(await listing(theirs));
    // Three referrers and the .sig tag, which discover lists beside them.
    expect(await listing(ours)).toHaveLength(4);
    const sigTag = `sha256-${image.manifest.digest.slice("sha256:".length)}.sig`;
    const digestOf = async (repository: string) => {
      const [host, ...path] = repository.split("/");
      const response = await fetch(`http://${host}/v2/${path.join("/")}/manifests/${sigTag}`, {
        method: "HEAD",
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      expect(response.status).toBe(200);
      return response.headers.get("docker-content-digest");
    };
    expect(await digestOf(ours)).toBe(await digestOf(theirs));
  });
});

describe("GET /v1/verify judges the peers' signatures as cosign and notation do", () => {
  let ref: string;
  /** One service trusting cosign's key and notation's certificate, one trusting another key and certificate. */
  const services = {} as Record<"trusting" | "other", RunningService>;

  beforeAll(async () => {
    ref = await signedByPeers("olareg", "rest/peers", true);
    for (const [name, key, certificate] of [
      ["trusting", cosignPub, join(trustStore, "peertest.pem")],
      ["other", otherPub, join(otherTrustStore, "other.pem")],
    ] as const) {
      const config = await parseConfig(
        {
          dataDir: join(workspace.dir, `service-${name}`),
          registries: [{ host: "127.0.0.1:*" }],
          verification: { publicKeys: [key], trustStore: [certificate] },
        },
        { env: () => undefined, readFile: (file) => readFile(file, "utf8") },
      );
      services[name] = await startService(config, { port: 0, logger: silentLogger });
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((service) => service.close()));
  });

  const report = async (service: RunningService) => {
    const response = await fetch(`${service.url}/v1/verify?ref=${encodeURIComponent(ref)}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      verified: boolean;
      formats: Array<{ format: string; verified: boolean }>;
    };
    return Object.fromEntries(body.formats.map((f) => [f.format, f.verified]));
  };

  it("valid in every format with the peers' key and certificate configured", async () => {
    expect(await report(services.trusting)).toEqual({ notary: true, cosign: true, bundle: true });
  });

  it("invalid in every format with another key and certificate, as cosign and notation refuse them", async () => {
    expect(await report(services.other)).toEqual({ notary: false, cosign: false, bundle: false });
  });
});
