// The world the timestamp peer tests share: a real TSA (OpenSSL `ts -reply`, test/support/tsa) and a
// second one nobody trusts, the KMS emulator, olareg, one image, and the files the tools are given:
// notation configurations trusting a certificate (and the TSA), trusted_root.json files naming a TSA.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type KmsEmulator, startKmsEmulator } from "../support/kms/emulator.ts";
import type { RunningRegistry } from "../support/registry/distribution.ts";
import { type BuiltImage, buildImage, pushImage } from "../support/registry/images.ts";
import { startTestTsa, type TestTsa } from "../support/tsa/tsa.ts";
import { startRegistryKind } from "./registries.ts";
import { createWorkspace, type PeerWorkspace } from "./workspace.ts";

export interface TimestampPeers {
  readonly workspace: PeerWorkspace;
  readonly kms: KmsEmulator;
  readonly registry: RunningRegistry;
  readonly image: BuiltImage;
  readonly tsa: TestTsa;
  readonly otherTsa: TestTsa;
  /** Pushes the image to `repository` and returns `host/repository@digest`. */
  pushed(repository: string): Promise<string>;
  /** A notation configuration trusting `caFile` (store `cs`) and, with `withTsa`, the TSA root (store `tsa`). */
  notationVerifier(
    name: string,
    caFile: string,
    withTsa: boolean,
  ): Promise<{ env: { XDG_CONFIG_HOME: string }; policy: string; truststore: string }>;
  /** A trusted_root.json naming one TSA (leaf and root, as sigstore's own trusted roots list them). */
  trustedRootFor(name: string, authority: TestTsa): Promise<string>;
  /** `--timestamp-url … --timestamp-root-cert …` for the trusted TSA. */
  timestampFlags(): string[];
  stop(): Promise<void>;
}

export function pem(der: Uint8Array): string {
  const body = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`;
}

export async function startTimestampPeers(): Promise<TimestampPeers> {
  const [tsa, otherTsa, kms] = await Promise.all([
    startTestTsa(),
    startTestTsa({ name: "Other TSA" }),
    startKmsEmulator(),
  ]);
  const workspace = await createWorkspace(kms);
  const registry = await startRegistryKind("olareg");
  const image = await buildImage({ layers: 1 });
  return {
    workspace,
    kms,
    registry,
    image,
    tsa,
    otherTsa,
    async pushed(repository) {
      await pushImage(image.dir, `${registry.host}/${repository}:v1`, { tag: image.tag });
      return `${registry.host}/${repository}@${image.manifest.digest}`;
    },
    async notationVerifier(name, caFile, withTsa) {
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
    },
    async trustedRootFor(name, authority) {
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
    },
    timestampFlags: () => ["--timestamp-url", tsa.url, "--timestamp-root-cert", tsa.rootFile],
    async stop() {
      await Promise.all([tsa.stop(), otherTsa.stop(), registry.stop(), image.cleanup()]);
      await workspace.remove();
      await kms.stop();
    },
  };
}
