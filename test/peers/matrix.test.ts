// The matrix, judged by the real tools: what `countersign sign` writes, in every format, with every key
// kind, on every registry kind, verified by cosign v3 (bundle and legacy `.sig` paths), cosign v2,
// notation, and listed by oras (referrers API and tag schema forced) and regctl.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { HasReferrersApi, RegistryKinds, startRegistryKind } from "./registries.ts";
import { explain } from "./tools.ts";
import {
  cosignPayloads,
  createWorkspace,
  emptyTrustedRoot,
  type PeerKey,
  type PeerWorkspace,
} from "./workspace.ts";

const NotaryType = "application/vnd.cncf.notary.signature";
const BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
const BundlePath = "https://sigstore.dev/cosign/sign/v1";
const SigPath = "cosign container image signature";

const KeyKinds = ["local P-256", "local P-384", "local RSA-3072", "KMS P-256"] as const;
type KeyKind = (typeof KeyKinds)[number];

let workspace: PeerWorkspace;
let kms: KmsEmulator;
let image: BuiltImage;
let trustedRoot: string;
const keys = {} as Record<KeyKind, PeerKey>;
/** A notation configuration per key, trusting that key's certificate only. */
const trust = {} as Record<KeyKind, Record<string, string>>;

beforeAll(async () => {
  kms = await startKmsEmulator();
  workspace = await createWorkspace(kms);
  image = await buildImage({ layers: 1 });
  trustedRoot = await emptyTrustedRoot(workspace);
  keys["local P-256"] = await workspace.localKey("local P-256", "ES256");
  keys["local P-384"] = await workspace.localKey("local P-384", "ES384");
  keys["local RSA-3072"] = await workspace.localKey("local RSA-3072", "PS384");
  keys["KMS P-256"] = await workspace.kmsKey("KMS P-256", kms, "ECC_NIST_P256");
}, 120_000);

afterAll(async () => {
  await image?.cleanup();
  await workspace?.remove();
  await kms?.stop();
});

function slug(kind: KeyKind): string {
  return kind.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

describe.each(RegistryKinds)("on %s", (registryKind) => {
  let registry: RunningRegistry;
  /** `host/matrix/<key>@digest`: signed by that key in all three formats. */
  const signed = {} as Record<KeyKind, string>;
  /** `host/matrix/<key>-sig@digest`: signed by that key in the cosign `.sig` form only. */
  const sigOnly = {} as Record<KeyKind, string>;

  beforeAll(async () => {
    registry = await startRegistryKind(registryKind);
    for (const kind of KeyKinds) {
      const key = keys[kind];
      for (const [repository, formats, into] of [
        [`matrix/${slug(kind)}`, ["notary", "cosign", "bundle"], signed],
        [`matrix/${slug(kind)}-sig`, ["cosign"], sigOnly],
      ] as const) {
        await pushImage(image.dir, `${registry.host}/${repository}:v1`, { tag: image.tag });
        const args = [
          "sign",
          `${registry.host}/${repository}:v1`,
          "--key",
          key.key,
          "--data-dir",
          key.dataDir,
        ];
        const run = await workspace.countersign([...args, ...formats.flatMap((f) => ["--format", f])]);
        expect(run.code, explain(run)).toBe(0);
        into[kind] = `${registry.host}/${repository}@${image.manifest.digest}`;
      }
      trust[kind] ??= await workspace.notationTrust(slug(kind), [key.certificateFile]);
    }
  }, 240_000);

  afterAll(async () => {
    await registry?.stop();
  });

  it(`writes ${HasReferrersApi[registryKind] ? "no" : "a"} sha256-<hex> referrers tag`, async () => {
    const response = await fetch(`${registry.url}/v2/matrix/${slug("local P-256")}/tags/list`);
    const { tags } = (await response.json()) as { tags: string[] };
    const fallbackTag = `sha256-${image.manifest.digest.slice("sha256:".length)}`;
    expect(tags.includes(fallbackTag)).toBe(!HasReferrersApi[registryKind]);
    expect(tags).toContain(`${fallbackTag}.sig`);
  });

  // go-containerregistry's registry lists every referrer under its config media type, ignoring the
  // manifest's artifactType (pkg/registry/manifest.go): our bundle shows up as the empty config's type.
  // Its listing is the registry's to answer; cosign and `countersign verify` judge by the manifest.
  const listedTypes = [
    NotaryType,
    registryKind === "ggcr" ? "application/vnd.oci.empty.v1+json" : BundleType,
  ].sort();

  describe.each(KeyKinds)("signed with a %s key", (kind) => {
    // cosign hashes with SHA-256 unless told otherwise, and refuses its own P-384 signatures (made with
    // SHA-384, the key's hash) without --signature-digest-algorithm: its users pass the flag, so do we.
    const digestFlag = kind === "local P-384" ? ["--signature-digest-algorithm", "sha384"] : [];
    const cosignKey = () => [
      "--key",
      keys[kind].publicKeyFile,
      "--insecure-ignore-tlog",
      "--allow-http-registry",
      ...digestFlag,
    ];
    // cosign v2 looks for Sigstore's public trust root on the network unless given one: an empty one
    // keeps it offline and is enough with --key and no transparency log.
    const cosignV2Key = () => [...cosignKey(), "--trusted-root", trustedRoot];

    it("cosign v3 verifies the Sigstore bundle (its default path)", async () => {
      const run = await workspace.ok("cosign-v3", ["verify", ...cosignKey(), signed[kind]]);
      expect(cosignPayloads(run).map((p) => p.critical.type)).toEqual([BundlePath]);
    });

    it("cosign v3 verifies the .sig signature (--new-bundle-format=false)", async () => {
      const run = await workspace.ok("cosign-v3", [
        "verify",
        ...cosignKey(),
        "--new-bundle-format=false",
        signed[kind],
      ]);
      const payloads = cosignPayloads(run);
      expect(payloads.map((p) => p.critical.type)).toEqual([SigPath]);
      expect(payloads[0]?.critical.image["docker-manifest-digest"]).toBe(image.manifest.digest);
    });

    it("cosign v2 verifies the bundle (with an empty trusted root, which it requires for bundles)", async () => {
      const run = await workspace.ok("cosign-v2", ["verify", ...cosignV2Key(), signed[kind]]);
      expect(cosignPayloads(run).map((p) => p.critical.type)).toEqual([BundlePath]);
    });

    it("cosign v2 verifies the .sig signature where no bundle is attached (v2 prefers bundles when any exist)", async () => {
      const run = await workspace.ok("cosign-v2", ["verify", ...cosignV2Key(), sigOnly[kind]]);
      expect(cosignPayloads(run).map((p) => p.critical.type)).toEqual([SigPath]);
    });

    it("cosign v3 and v2 refuse both forms with another key", async () => {
      const other = kind === "local P-256" ? keys["local P-384"] : keys["local P-256"];
      const wrong = [
        "--key",
        other.publicKeyFile,
        "--insecure-ignore-tlog",
        "--allow-http-registry",
        ...digestFlag,
      ];
      for (const run of [
        await workspace.peer("cosign-v3", ["verify", ...wrong, signed[kind]]),
        await workspace.peer("cosign-v3", ["verify", ...wrong, "--new-bundle-format=false", signed[kind]]),
        await workspace.peer("cosign-v2", ["verify", ...wrong, "--trusted-root", trustedRoot, sigOnly[kind]]),
      ]) {
        expect(run.code, explain(run)).not.toBe(0);
      }
    });

    if (kind === "local P-384") {
      it("cosign v3 refuses P-384 signatures without --signature-digest-algorithm sha384, as it refuses its own", async () => {
        const bare = ["--key", keys[kind].publicKeyFile, "--insecure-ignore-tlog", "--allow-http-registry"];
        for (const run of [
          await workspace.peer("cosign-v3", ["verify", ...bare, signed[kind]]),
          await workspace.peer("cosign-v3", ["verify", ...bare, "--new-bundle-format=false", signed[kind]]),
        ]) {
          expect(run.code, explain(run)).not.toBe(0);
          expect(run.stderr).toMatch(/invalid signature|do not match threshold/);
        }
      });
    }

    it("countersign verify judges all three formats valid, and invalid with another key", async () => {
      const ok = await workspace.countersign([
        "verify",
        signed[kind],
        "--key",
        keys[kind].publicKeyFile,
        "--trust-store",
        keys[kind].dataDir,
      ]);
      expect(ok.code, explain(ok)).toBe(0);
      const other = kind === "local P-256" ? keys["local P-384"] : keys["local P-256"];
      const wrong = await workspace.countersign([
        "verify",
        signed[kind],
        "--key",
        other.publicKeyFile,
        "--trust-store",
        other.dataDir,
      ]);
      expect(wrong.code, explain(wrong)).toBe(1);
      expect(wrong.stdout).toMatch(/✗ notary/);
      expect(wrong.stdout).toMatch(/✗ cosign/);
      expect(wrong.stdout).toMatch(/✗ bundle/);
    });

    it("notation verifies the Notary signature with a trust store holding our certificate", async () => {
      const run = await workspace.ok(
        "notation",
        ["verify", "--insecure-registry", signed[kind]],
        trust[kind],
      );
      expect(run.stdout).toContain("Successfully verified signature");
    });

    it("notation refuses it when the trust store holds another certificate only", async () => {
      const other = kind === "local P-256" ? "local-p-384" : "local-p-256";
      const xdg = { XDG_CONFIG_HOME: `${workspace.dir}/notation-${other}` };
      const run = await workspace.peer("notation", ["verify", "--insecure-registry", signed[kind]], xdg);
      expect(run.code, explain(run)).not.toBe(0);
    });

    it(`oras discover lists both referrers through the ${HasReferrersApi[registryKind] ? "API" : "tag schema"}`, async () => {
      const api = await workspace.peer("oras", [
        "discover",
        "--plain-http",
        "--distribution-spec",
        "v1.1-referrers-api",
        "--format",
        "json",
        signed[kind],
      ]);
      const tag = await workspace.peer("oras", [
        "discover",
        "--plain-http",
        "--distribution-spec",
        "v1.1-referrers-tag",
        "--format",
        "json",
        signed[kind],
      ]);
      const types = (run: typeof api) =>
        (JSON.parse(run.stdout) as { referrers: Array<{ artifactType: string }> }).referrers
          .map((r) => r.artifactType)
          .sort();
      if (HasReferrersApi[registryKind]) {
        expect(api.code, explain(api)).toBe(0);
        expect(types(api)).toEqual(listedTypes);
        // Nothing was written under the tag schema where the API exists.
        expect(tag.code, explain(tag)).toBe(0);
        expect(types(tag)).toEqual([]);
      } else {
        expect(api.code, `oras must refuse the API that distribution lacks\n${explain(api)}`).not.toBe(0);
        expect(tag.code, explain(tag)).toBe(0);
        expect(types(tag)).toEqual([NotaryType, BundleType].sort());
      }
    });

    it("regctl artifact list lists both referrers", async () => {
      const host = registry.host;
      const run = await workspace.ok("regctl", [
        "--host",
        `reg=${host},tls=disabled`,
        "artifact",
        "list",
        "--format",
        "{{jsonPretty .}}",
        signed[kind],
      ]);
      const listed = JSON.parse(run.stdout) as { descriptors: Array<{ artifactType: string }> };
      expect(listed.descriptors.map((d) => d.artifactType).sort()).toEqual(listedTypes);
    });
  });
});
