// A `.sig` signature carrying a Rekor entry (`dev.sigstore.cosign/bundle`), judged offline against a
// trusted_root.json by `cosign verify --trusted-root` (without --insecure-ignore-tlog) and by
// `countersign verify --trusted-root`: the same verdicts for a sound entry, a forged signed entry
// timestamp, and a log key whose validity window does not cover the integrated time. There is no Rekor
// here, so a test log key signs the entries exactly as Rekor v1 does (SET over the canonical payload).
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCosignSignature, type CosignSignature } from "../../lib/formats/cosign/build.ts";
import { CosignBundleAnnotation } from "../../lib/formats/cosign/rekor-bundle.ts";
import { writeCosignSignature } from "../../lib/formats/cosign/write.ts";
import { RegistryClient } from "../../lib/oci/remote/registry.ts";
import { InProcessSubjectLock } from "../../lib/oci/subject-lock.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { startRegistryKind } from "./registries.ts";
import { explain } from "./tools.ts";
import { createWorkspace, type PeerWorkspace } from "./workspace.ts";

let workspace: PeerWorkspace;
let registry: RunningRegistry;
let image: BuiltImage;
let signer: LocalSigner;
let log: LocalSigner;
let publicKeyFile: string;
const refs = {} as Record<"sound" | "forged", string>;
const roots = {} as Record<"covering" | "later", string>;
const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64");

/** What Rekor v1 answers for a hashedrekord entry, as cosign stores it on the layer. */
async function rekorBundle(signature: CosignSignature, options: { forge?: boolean } = {}): Promise<string> {
  const { pem } = await signer.publicKey();
  const body = b64(
    JSON.stringify({
      apiVersion: "0.0.1",
      kind: "hashedrekord",
      spec: {
        data: {
          hash: { algorithm: "sha256", value: createHash("sha256").update(signature.payload).digest("hex") },
        },
        signature: {
          content: signature.layer.annotations["dev.cosignproject.cosign/signature"],
          publicKey: { content: b64(pem) },
        },
      },
    }),
  );
  const logSpki = (await log.publicKey()).spki;
  const payload = {
    body,
    integratedTime: Math.floor(Date.now() / 1000) - 60,
    logID: createHash("sha256").update(logSpki).digest("hex"),
    logIndex: 42,
  };
  const set = await (options.forge ? await LocalSigner.generate("ES256") : log).sign(
    new TextEncoder().encode(JSON.stringify(payload)),
    "der",
  );
  return JSON.stringify({ SignedEntryTimestamp: b64(set), Payload: payload });
}

async function trustedRoot(name: string, start: string): Promise<string> {
  const logSpki = (await log.publicKey()).spki;
  const file = join(workspace.dir, `tlog-root-${name}.json`);
  await writeFile(
    file,
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [
        {
          baseUrl: "https://rekor.test.example",
          hashAlgorithm: "SHA2_256",
          publicKey: { rawBytes: b64(logSpki), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
          logId: { keyId: b64(createHash("sha256").update(logSpki).digest()) },
        },
      ],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    }),
  );
  return file;
}

beforeAll(async () => {
  workspace = await createWorkspace();
  registry = await startRegistryKind("olareg");
  image = await buildImage({ layers: 1 });
  [signer, log] = await Promise.all([LocalSigner.generate("ES256"), LocalSigner.generate("ES256")]);
  publicKeyFile = join(workspace.dir, "signer.pub");
  await writeFile(publicKeyFile, (await signer.publicKey()).pem);
  roots.covering = await trustedRoot("covering", "2020-01-01T00:00:00Z");
  roots.later = await trustedRoot("later", new Date(Date.now() + 86400_000).toISOString());
  const client = new RegistryClient(registry.host);
  for (const kind of ["sound", "forged"] as const) {
    const repository = `tlog/${kind}`;
    await pushImage(image.dir, `${registry.host}/${repository}:v1`, { tag: image.tag });
    const built = await buildCosignSignature({
      dockerReference: `${registry.host}/${repository}`,
      subjectDigest: image.manifest.digest,
      signer,
    });
    const annotation = await rekorBundle(built, { forge: kind === "forged" });
    const signature = {
      ...built,
      layer: {
        ...built.layer,
        annotations: { ...built.layer.annotations, [CosignBundleAnnotation]: annotation },
      },
    };
    await writeCosignSignature({
      repository: client.repository(repository),
      subject: image.manifest,
      signature,
      lock: new InProcessSubjectLock(),
    });
    refs[kind] = `${registry.host}/${repository}@${image.manifest.digest}`;
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([registry?.stop(), image?.cleanup()]);
  await workspace?.remove();
});

const cosign = (ref: string, root: string) =>
  workspace.peer("cosign-v3", [
    "verify",
    "--key",
    publicKeyFile,
    "--trusted-root",
    root,
    "--new-bundle-format=false",
    "--allow-http-registry",
    ref,
  ]);
const countersign = (ref: string, root: string) =>
  workspace.countersign([
    "verify",
    ref,
    "--format",
    "cosign",
    "--key",
    publicKeyFile,
    "--trusted-root",
    root,
  ]);

describe("a .sig signature with a Rekor entry, checked offline against a trusted root", () => {
  it("verifies for cosign (its tlog check on) and for countersign", async () => {
    const theirs = await cosign(refs.sound, roots.covering);
    expect(theirs.code, explain(theirs)).toBe(0);
    const ours = await countersign(refs.sound, roots.covering);
    expect(ours.code, explain(ours)).toBe(0);
    expect(ours.stdout).toMatch(/✓ cosign\tpublic key #1, logged \d{4}-/);
  });

  it("is refused by both when the signed entry timestamp is forged", async () => {
    const theirs = await cosign(refs.forged, roots.covering);
    expect(theirs.code, explain(theirs)).not.toBe(0);
    const ours = await countersign(refs.forged, roots.covering);
    expect(ours.code, explain(ours)).toBe(1);
    expect(ours.stdout).toMatch(/✗ cosign\t.*transparency: the log's signed entry timestamp does not verify/);
  });

  it("is refused by both when the log key's validFor starts after the integrated time", async () => {
    const theirs = await cosign(refs.sound, roots.later);
    expect(theirs.code, explain(theirs)).not.toBe(0);
    const ours = await countersign(refs.sound, roots.later);
    expect(ours.code, explain(ours)).toBe(1);
    expect(ours.stdout).toMatch(/✗ cosign\t.*transparency: the log key was not valid at the integrated time/);
  });
});
