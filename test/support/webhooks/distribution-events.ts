// A CNCF distribution notification envelope (v1, `application/vnd.docker.distribution.events.v1+json`)
// for one manifest push, shaped like the captured ones in ../shared/fixtures/webhooks.
export const DISTRIBUTION_EVENTS_V1 = "application/vnd.docker.distribution.events.v1+json";

export interface PushedManifest {
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
}

export function distributionPushEnvelope(
  host: string,
  repository: string,
  manifest: PushedManifest,
  tag?: string,
) {
  const size = manifest.size ?? 1;
  return {
    events: [
      {
        id: crypto.randomUUID(),
        timestamp: new Date().toISOString(),
        action: "push",
        target: {
          mediaType: manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json",
          digest: manifest.digest,
          size,
          length: size,
          repository,
          url: `http://${host}/v2/${repository}/manifests/${manifest.digest}`,
          ...(tag !== undefined && { tag }),
        },
        request: {
          id: crypto.randomUUID(),
          addr: "127.0.0.1",
          host,
          method: "PUT",
          useragent: "countersign-test",
        },
        actor: {},
        source: { addr: "127.0.0.1", instanceID: "countersign-test" },
      },
    ],
  };
}
