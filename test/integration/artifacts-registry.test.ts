// The manifests we write, pushed to a real CNCF distribution 2.8 (Debian docker-registry): every shape
// is stored byte for byte, and the `distribution` profile's rule (no referrers API) holds.
// Speaks the distribution-spec directly with fetch: this pins what the registry accepts, independent
// of lib/oci's client.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, descriptorOf } from "../../lib/artifacts/canonical-json.ts";
import { type Blob, buildArtifactManifest } from "../../lib/artifacts/manifest.ts";
import { RegistryProfiles } from "../../lib/artifacts/profiles.ts";
import type { Descriptor } from "../../lib/oci/descriptor.ts";
import { digestOf } from "../../lib/oci/digest.ts";
import { MediaType } from "../../lib/oci/media-types.ts";
import { assertValidIndex, assertValidManifest } from "../support/oci/schema.ts";

const RegistryBinary = "/usr/bin/docker-registry";
const repo = "team/app";
let registry: ChildProcess | undefined;
let dir = "";
let base = "";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

beforeAll(async () => {
  if (!existsSync(RegistryBinary)) {
    throw new Error(`${RegistryBinary} not found: apt-get install -y docker-registry skopeo umoci`);
  }
  dir = mkdtempSync(join(tmpdir(), "countersign-artifacts-"));
  const port = await freePort();
  const config = `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${dir}/data}}\nhttp: {addr: 127.0.0.1:${port}}\n`;
  writeFileSync(join(dir, "config.yml"), config);
  registry = spawn(RegistryBinary, ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await fetch(`${base}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("docker-registry did not answer /v2/ within 5 s");
});

afterAll(() => {
  registry?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function pushBlob(blob: Blob): Promise<void> {
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get("location")!, base);
  location.searchParams.set("digest", blob.descriptor.digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: blob.bytes as Uint8Array<ArrayBuffer>,
  });
  expect(put.status, await put.text()).toBe(201);
}

async function pushManifest(bytes: Uint8Array, mediaType: string, reference: string): Promise<void> {
  const put = await fetch(`${base}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  expect(put.status, await put.text()).toBe(201);
}

async function fetchManifest(reference: string, mediaType: string): Promise<Uint8Array> {
  const got = await fetch(`${base}/v2/${repo}/manifests/${reference}`, { headers: { accept: mediaType } });
  expect(got.status).toBe(200);
  return new Uint8Array(await got.arrayBuffer());
}

async function pushSubject(): Promise<Descriptor> {
  const config = new TextEncoder().encode(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  );
  const configBlob = { descriptor: await descriptorOf(MediaType.OciConfig, config), bytes: config };
  await pushBlob(configBlob);
  const bytes = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: configBlob.descriptor,
    layers: [configBlob.descriptor],
  });
  const descriptor = await descriptorOf(MediaType.OciManifest, bytes);
  await pushManifest(bytes, MediaType.OciManifest, "v1");
  return descriptor;
}

describe("artifact manifests on distribution 2.8", () => {
  it("stores every profile's shape byte for byte, and lists them in a valid fallback index", async () => {
    const subject = await pushSubject();
    const listed: Descriptor[] = [];
    for (const profile of Object.values(RegistryProfiles)) {
      for (const artifactType of [MediaType.NotarySignature, MediaType.SigstoreBundle]) {
        const built = await buildArtifactManifest({
          artifactType,
          subject,
          layers: [
            {
              mediaType: artifactType === MediaType.NotarySignature ? MediaType.Jose : artifactType,
              bytes: new TextEncoder().encode(`{"profile":"${profile.name}"}`),
            },
          ],
          annotations: { "org.example.profile": profile.name },
          created: new Date(),
          profile,
        });
        for (const blob of built.blobs) await pushBlob(blob);
        await pushManifest(built.bytes, MediaType.OciManifest, built.descriptor.digest);
        const stored = await fetchManifest(built.descriptor.digest, MediaType.OciManifest);
        expect(await digestOf(stored)).toBe(built.descriptor.digest);
        assertValidManifest(stored);
        listed.push(built.referrerDescriptor);
      }
    }
    const index = canonicalJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: listed });
    const tag = subject.digest.replace(":", "-");
    await pushManifest(index, MediaType.OciIndex, tag);
    assertValidIndex(await fetchManifest(tag, MediaType.OciIndex));
  });

  it("has no referrers API, as the distribution profile says", async () => {
    const subject = await pushSubject();
    const response = await fetch(`${base}/v2/${repo}/referrers/${subject.digest}`);
    expect(response.status).toBe(404);
    expect(RegistryProfiles.distribution.referrers).toBe("fallback");
  });
});
