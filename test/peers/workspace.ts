// A temporary folder in which Countersign's CLI and the real peers run side by side as a user runs them:
// its own HOME (cosign keeps ~/.sigstore there), an empty Docker config, one notation configuration per
// trust set (XDG_CONFIG_HOME), and the keys each test signs with.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { runCountersign } from "../support/cli.ts";
import { dummyCredentials } from "../support/kms/client.ts";
import type { KmsEmulator } from "../support/kms/emulator.ts";
import { explain, type PeerName, type PeerRun, runPeer } from "./tools.ts";

/** A signing key as the CLI takes it (`--key`), with what verifiers need. */
export interface PeerKey {
  readonly label: string;
  /** A key file path or an `awskms://` URI. */
  readonly key: string;
  /** Public key PEM file, for `cosign verify --key`. */
  readonly publicKeyFile: string;
  /** Folder of the data-dir certificate Countersign signs Notary signatures with. */
  readonly dataDir: string;
  /** `<dataDir>/signing-cert.pem`, once a Notary signature has been made. */
  readonly certificateFile: string;
}

export interface PeerWorkspace {
  readonly dir: string;
  /** Environment for every process: HOME, DOCKER_CONFIG and, for KMS keys, the emulator's dummy AWS settings. */
  readonly env: Readonly<Record<string, string>>;
  countersign(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<PeerRun>;
  peer(name: PeerName, args: readonly string[], env?: Readonly<Record<string, string>>): Promise<PeerRun>;
  /** Like peer(), but fails the test with the peer's output unless it exits 0. */
  ok(name: PeerName, args: readonly string[], env?: Readonly<Record<string, string>>): Promise<PeerRun>;
  /** `countersign keys generate --algorithm alg` into this folder. */
  localKey(label: string, algorithm: string): Promise<PeerKey>;
  /** A key in the KMS emulator, used through `awskms://<emulator>/<arn>`. */
  kmsKey(label: string, kms: KmsEmulator, spec: "ECC_NIST_P256" | "RSA_3072"): Promise<PeerKey>;
  /** `cosign generate-key-pair` (empty password): `<prefix>.key` and `<prefix>.pub` in this folder. */
  cosignKeyPair(prefix: string): Promise<{ readonly key: string; readonly publicKey: string }>;
  /**
   * `notation cert generate-test <name>` in a configuration of its own, which then trusts that
   * certificate under the README's strict policy; also a folder holding it, for `countersign verify`.
   */
  notationTestKey(name: string): Promise<{
    readonly env: { readonly XDG_CONFIG_HOME: string };
    readonly certificate: string;
    readonly trustStore: string;
  }>;
  /**
   * A notation configuration trusting exactly `certificates` (a `ca` store and a strict policy for every
   * registry), set up with notation's own commands as the README documents; returns its XDG_CONFIG_HOME.
   */
  notationTrust(name: string, certificates: readonly string[]): Promise<Record<string, string>>;
  remove(): Promise<void>;
}

export async function createWorkspace(kms?: KmsEmulator): Promise<PeerWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), "countersign-peers-"));
  await mkdir(join(dir, "docker"));
  await writeFile(join(dir, "docker", "config.json"), "{}");
  const env: Record<string, string> = {
    HOME: dir,
    DOCKER_CONFIG: join(dir, "docker"),
    ...(kms !== undefined && {
      AWS_ACCESS_KEY_ID: dummyCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: dummyCredentials.secretAccessKey,
      AWS_SESSION_TOKEN: dummyCredentials.sessionToken,
      AWS_REGION: kms.region,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/nonexistent/countersign-test/config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/countersign-test/credentials",
    }),
  };
  const countersign = (args: readonly string[], extra: Readonly<Record<string, string>> = {}) =>
    runCountersign(args, { cwd: dir, env: { ...env, ...extra } });
  const peer = (name: PeerName, args: readonly string[], extra: Readonly<Record<string, string>> = {}) =>
    runPeer(name, args, { cwd: dir, env: { ...env, ...extra } });
  const keyFrom = async (label: string, key: string, publicPem: string): Promise<PeerKey> => {
    const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    const publicKeyFile = join(dir, `${slug}.pub`);
    await writeFile(publicKeyFile, publicPem);
    const dataDir = join(dir, `data-${slug}`);
    return { label, key, publicKeyFile, dataDir, certificateFile: join(dataDir, "signing-cert.pem") };
  };
  const workspace: PeerWorkspace = {
    dir,
    env,
    countersign,
    peer,
    async ok(name, args, extra = {}) {
      const run = await peer(name, args, extra);
      expect(run.code, explain(run)).toBe(0);
      return run;
    },
    async localKey(label, algorithm) {
      const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "-");
      const file = join(dir, `${slug}.key.pem`);
      const generated = await countersign(["keys", "generate", "--algorithm", algorithm, "--out", file]);
      expect(generated.code, explain(generated)).toBe(0);
      return keyFrom(label, file, generated.stdout);
    },
    async kmsKey(label, emulator, spec) {
      const created = await emulator.createKey(spec);
      const uri = `awskms://${new URL(emulator.endpoint).host}/${created.arn}`;
      const published = await countersign(["keys", "public", "--key", uri]);
      expect(published.code, explain(published)).toBe(0);
      return keyFrom(label, uri, published.stdout);
    },
    async cosignKeyPair(prefix) {
      await workspace.ok("cosign-v3", ["generate-key-pair", "--output-key-prefix", prefix], {
        COSIGN_PASSWORD: "",
      });
      return { key: join(dir, `${prefix}.key`), publicKey: join(dir, `${prefix}.pub`) };
    },
    async notationTestKey(name) {
      const keyEnv = { XDG_CONFIG_HOME: join(dir, `notation-key-${name}`) };
      // generate-test makes a key and a self-signed certificate and trusts it in a `ca` store of its name.
      await workspace.ok("notation", ["cert", "generate-test", "--default", name], keyEnv);
      const policy = join(dir, `notation-key-${name}-policy.json`);
      await writeFile(policy, JSON.stringify(strictPolicy(name)));
      await workspace.ok("notation", ["policy", "import", "--force", policy], keyEnv);
      const certificate = join(keyEnv.XDG_CONFIG_HOME, `notation/localkeys/${name}.crt`);
      const trustStore = join(dir, `trust-${name}`);
      await mkdir(trustStore);
      await copyFile(certificate, join(trustStore, `${name}.pem`));
      return { env: keyEnv, certificate, trustStore };
    },
    async notationTrust(name, certificates) {
      const xdg = { XDG_CONFIG_HOME: join(dir, `notation-${name}`) };
      await mkdir(xdg.XDG_CONFIG_HOME, { recursive: true });
      for (const certificate of certificates)
        await workspace.ok(
          "notation",
          ["cert", "add", "--type", "ca", "--store", "countersign", certificate],
          xdg,
        );
      const policy = join(dir, `notation-${name}-policy.json`);
      await writeFile(policy, JSON.stringify(strictPolicy("countersign")));
      await workspace.ok("notation", ["policy", "import", "--force", policy], xdg);
      return xdg;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return workspace;
}

/** The trust policy the README documents: every registry, strict, one `ca` store, any identity. */
export function strictPolicy(store: string) {
  return {
    version: "1.0",
    trustPolicies: [
      {
        name: "countersign",
        registryScopes: ["*"],
        signatureVerification: { level: "strict" },
        trustStores: [`ca:${store}`],
        trustedIdentities: ["*"],
      },
    ],
  };
}

/** cosign v2 wants a trusted root for bundles even with `--key`; this one holds nothing (fully offline). */
export async function emptyTrustedRoot(workspace: PeerWorkspace): Promise<string> {
  const file = join(workspace.dir, "empty-trusted-root.json");
  await writeFile(
    file,
    JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }),
  );
  return file;
}

/** The JSON array `cosign verify` prints on stdout (one entry per verified signature). */
export function cosignPayloads(
  run: PeerRun,
): Array<{ critical: { type: string; image: Record<string, string> } }> {
  const line = run.stdout.split("\n").find((l) => l.startsWith("["));
  if (line === undefined) throw new Error(`no JSON in cosign output:\n${explain(run)}`);
  return JSON.parse(line);
}

export async function readText(path: string): Promise<string> {
  return readFile(path, "utf8");
}
