// The distribution source against what a real registry sends: docker-registry (distribution 2.8) with
// `notifications` pointed at a loopback listener, images pushed by skopeo, every captured delivery fed
// through receiveWebhook exactly as the app would; pulls and deletes the registry reports go through
// the whole app, which answers them 202 with their reason.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  receiveWebhook,
  WebhookAuthError,
  type WebhookDelivery,
  webhookSourceSettings,
} from "../../lib/webhooks/index.ts";
import type { PushEvent } from "../../lib/webhooks/push-event.ts";
import { createAppHarness } from "../support/app/harness.ts";
import { type RunningRegistry, startRegistry } from "../support/registry/distribution.ts";
import { buildAndPushImage, type PushedIndex, pushMultiArchIndex } from "../support/registry/images.ts";

const SECRET = "distribution-notification-secret-1";
const settings = webhookSourceSettings.parse({ kind: "distribution", auth: { bearer: SECRET } });

interface Captured {
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

let listener: Server;
let registry: RunningRegistry;
const captured: Captured[] = [];
let imageDigest: string;
let index: PushedIndex;

function toDelivery(capture: Captured, headers: IncomingHttpHeaders = capture.headers): WebhookDelivery {
  const fetchHeaders = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
      fetchHeaders.append(name, item);
  }
  return {
    body: capture.body,
    headers: fetchHeaders,
    url: new URL("http://127.0.0.1/webhooks/local"),
    receivedAt: new Date(),
  };
}

async function receivedEvents(): Promise<PushEvent[]> {
  const events: PushEvent[] = [];
  for (const capture of captured)
    events.push(...(await receiveWebhook(toDelivery(capture), settings)).events);
  return events;
}

/** Notifications are sent asynchronously after the push returns: wait until `done` holds. */
async function eventually(done: (events: PushEvent[]) => boolean): Promise<PushEvent[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const events = await receivedEvents();
    if (done(events) || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  listener = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      captured.push({ headers: request.headers, body: new Uint8Array(Buffer.concat(chunks)) });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as AddressInfo;
  registry = await startRegistry({
    notifications: [
      {
        url: `http://127.0.0.1:${port}/webhooks/local`,
        headers: { Authorization: [`Bearer ${SECRET}`] },
        timeout: "2s",
        backoff: "200ms",
      },
    ],
  });
  imageDigest = (await buildAndPushImage(`${registry.host}/test/app:v1`, { layers: 1, tag: "v1" })).digest;
  index = await pushMultiArchIndex(registry.host, "test/multi:multi", ["linux/amd64", "linux/arm64"]);
});

afterAll(async () => {
  await registry?.stop();
  await new Promise((resolve) => listener?.close(resolve));
});

describe("distribution 2.8 notifications, end to end", () => {
  it("turns a tagged image push into one PushEvent for the registry's own host", async () => {
    const events = await eventually((all) => all.some((event) => event.digest === imageDigest));
    expect(events.filter((event) => event.repository === "test/app")).toEqual([
      expect.objectContaining({
        registry: registry.host,
        repository: "test/app",
        tag: "v1",
        digest: imageDigest,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
      }),
    ]);
  });

  it("reports the index under its tag and each child manifest by digest", async () => {
    const expected = [index.index.digest, ...index.manifests.map((manifest) => manifest.digest)];
    const events = await eventually((all) =>
      expected.every((digest) => all.some((event) => event.digest === digest)),
    );
    const multi = events.filter((event) => event.repository === "test/multi");
    expect(multi.find((event) => event.digest === index.index.digest)).toMatchObject({
      tag: "multi",
      mediaType: "application/vnd.oci.image.index.v1+json",
    });
    for (const manifest of index.manifests) {
      expect(multi.find((event) => event.digest === manifest.digest)).toMatchObject({
        registry: registry.host,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
      });
    }
    expect(multi).toHaveLength(expected.length);
  });

  it("ignores the blob pushes the registry also reports", async () => {
    let ignored = 0;
    for (const capture of captured)
      ignored += (await receiveWebhook(toDelivery(capture), settings)).ignored.length;
    expect(ignored).toBeGreaterThan(0);
  });

  it("sends the v1 envelope media type and the configured header; without it, authentication fails", async () => {
    expect(captured.length).toBeGreaterThan(0);
    const [first] = captured;
    expect(first!.headers["content-type"]).toBe("application/vnd.docker.distribution.events.v1+json");
    const { authorization: _dropped, ...unauthenticated } = first!.headers;
    await expect(receiveWebhook(toDelivery(first!, unauthenticated), settings)).rejects.toBeInstanceOf(
      WebhookAuthError,
    );
  });

  it("reports manifest pulls and deletes, which the app answers 202 with their reason", async () => {
    const gone = await buildAndPushImage(`${registry.host}/test/gone:v1`, { layers: 1, tag: "v1" });
    const manifest = `${registry.url}/v2/test/gone/manifests`;
    const accept = "application/vnd.oci.image.manifest.v1+json";
    expect((await fetch(`${manifest}/v1`, { headers: { accept } })).status).toBe(200);
    expect((await fetch(`${manifest}/${gone.digest}`, { method: "DELETE" })).status).toBe(202);
    const actions = (capture: Captured) =>
      (
        JSON.parse(new TextDecoder().decode(capture.body)) as {
          events: { action: string; target: { repository: string } }[];
        }
      ).events
        .filter((event) => event.target.repository === "test/gone")
        .map((event) => event.action);
    const deadline = Date.now() + 15_000;
    const seen = () => captured.flatMap(actions);
    while (!(seen().includes("pull") && seen().includes("delete")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const deliveries = captured.filter((capture) =>
      actions(capture).some((a) => a === "pull" || a === "delete"),
    );
    expect(deliveries.length).toBeGreaterThan(0);
    const app = await createAppHarness(
      {
        registries: [{ host: "127.0.0.1:*" }],
        webhooks: [{ name: "local", kind: "distribution", settings: { auth: { bearer: SECRET } } }],
      },
      {},
    );
    try {
      const reasons: string[] = [];
      for (const delivery of deliveries) {
        const response = await app.app.request("http://127.0.0.1:8080/webhooks/local", {
          method: "POST",
          body: new Uint8Array(delivery.body),
          headers: toDelivery(delivery).headers,
        });
        // A 2.x batch may also carry a push of the same image: that one is queued, the rest ignored.
        expect(response.status).toBe(202);
        const result = (await response.json()) as { ignored: { reason: string }[] };
        reasons.push(...result.ignored.map((ignored) => ignored.reason));
      }
      expect(reasons).toContain("pull event");
      expect(reasons).toContain("delete event");
    } finally {
      app.close();
    }
  });
});
