// The baseline of bench/oci.ts: the fewest requests a client needs for each operation against
// distribution 2.8, with plain fetch, no retries, no verification beyond status codes. What
// Countersign adds on top (HEADs that make operations idempotent, digest checks) shows in the ratio.
import type { Descriptor } from "../lib/oci/descriptor.ts";
import { digestOf } from "../lib/oci/digest.ts";
import { EmptyJson, MediaType } from "../lib/oci/media-types.ts";
import { pool } from "./load.ts";

const CONCURRENCY = 5;

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.text()}`);
  }
  return response;
}

async function getManifest(fetcher: typeof fetch, url: string, repository: string, tag: string) {
  const response = await expectStatus(
    await fetcher(`${url}/v2/${repository}/manifests/${tag}`, { headers: { accept: MediaType.OciManifest } }),
    200,
    "GET manifest",
  );
  const bytes = new Uint8Array(await response.arrayBuffer());
  const manifest = JSON.parse(new TextDecoder().decode(bytes)) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  return { bytes, blobs: [manifest.config, ...manifest.layers] };
}

export async function putManifest(
  fetcher: typeof fetch,
  url: string,
  repository: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string,
) {
  const response = await fetcher(`${url}/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  await (await expectStatus(response, 201, "PUT manifest")).arrayBuffer();
}

/** POST opens a session (distribution 2.8 answers a monolithic POST with 202 too), PUT completes it. */
export async function upload(
  fetcher: typeof fetch,
  url: string,
  repository: string,
  digest: string,
  bytes: Uint8Array,
) {
  const started = await expectStatus(
    await fetcher(`${url}/v2/${repository}/blobs/uploads/`, { method: "POST" }),
    202,
    "POST upload",
  );
  await started.arrayBuffer();
  const location = new URL(started.headers.get("location")!, url);
  location.searchParams.set("digest", digest);
  const done = await fetcher(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  await (await expectStatus(done, 201, "PUT upload")).arrayBuffer();
}

export async function copyByMount(
  fetcher: typeof fetch,
  url: string,
  from: string,
  to: string,
  tag: string,
): Promise<void> {
  const { bytes, blobs } = await getManifest(fetcher, url, from, tag);
  await pool(blobs, CONCURRENCY, async (blob) => {
    const response = await fetcher(`${url}/v2/${to}/blobs/uploads/?mount=${blob.digest}&from=${from}`, {
      method: "POST",
    });
    await (await expectStatus(response, 201, "mount")).arrayBuffer();
  });
  await putManifest(fetcher, url, to, tag, bytes, MediaType.OciManifest);
}

export async function copyAcross(
  fetcher: typeof fetch,
  sourceUrl: string,
  from: string,
  destinationUrl: string,
  to: string,
  tag: string,
): Promise<void> {
  const { bytes, blobs } = await getManifest(fetcher, sourceUrl, from, tag);
  await pool(blobs, CONCURRENCY, async (blob) => {
    const response = await expectStatus(
      await fetcher(`${sourceUrl}/v2/${from}/blobs/${blob.digest}`),
      200,
      "GET blob",
    );
    await upload(fetcher, destinationUrl, to, blob.digest, new Uint8Array(await response.arrayBuffer()));
  });
  await putManifest(fetcher, destinationUrl, to, tag, bytes, MediaType.OciManifest);
}

/** Scratch-layer artifact with subject, then the read-modify-write of the tag-schema index. */
export async function pushArtifact(
  fetcher: typeof fetch,
  url: string,
  repository: string,
  subject: Descriptor,
  payload: Uint8Array,
  pushConfig: boolean,
): Promise<void> {
  if (pushConfig) await upload(fetcher, url, repository, EmptyJson.digest, EmptyJson.bytes);
  const layer = {
    mediaType: "application/vnd.example.signature.v1+json",
    digest: await digestOf(payload),
    size: payload.length,
  };
  await upload(fetcher, url, repository, layer.digest, payload);
  const artifactType = "application/vnd.example.signature";
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      artifactType,
      config: { mediaType: MediaType.OciEmpty, digest: EmptyJson.digest, size: EmptyJson.size },
      layers: [layer],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    }),
  );
  const digest = await digestOf(manifest);
  await putManifest(fetcher, url, repository, digest, manifest, MediaType.OciManifest);
  const tag = subject.digest.replace(":", "-");
  const current = await fetcher(`${url}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: MediaType.OciIndex },
  });
  const body = await current.text();
  const index =
    current.status === 200 ? (JSON.parse(body) as { manifests: Descriptor[] }) : { manifests: [] };
  const entry = { mediaType: MediaType.OciManifest, digest, size: manifest.length, artifactType };
  const next = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...index.manifests, entry] };
  await putManifest(
    fetcher,
    url,
    repository,
    tag,
    new TextEncoder().encode(JSON.stringify(next)),
    MediaType.OciIndex,
  );
}
