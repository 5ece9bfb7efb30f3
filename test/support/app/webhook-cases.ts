// Every webhook source of the fixtures as the app receives it: the configuration naming one webhook
// per source, each fixture's body and credential, and the job each must produce. Shared by the app's
// webhook tests.
import type { ConfigInput } from "../../../lib/config/schema.ts";
import { hmacSha256Hex } from "../../../lib/webhooks/hmac.ts";
import { fixtureBytes, patchedFixture } from "../webhooks/delivery.ts";
import { pubsubClaims, type TestOidcIssuer } from "../webhooks/google-oidc.ts";

export const SECRET = "webhook-Secret-0123456789abcdef";
const GAR_AUDIENCE = "https://countersign.example/webhooks/gar";
const GAR_EMAIL = "pubsub-push@my-project.iam.gserviceaccount.com";
const encoder = new TextEncoder();

/** The distribution fixture named "push-by-tag" was captured as a pull; a push differs only in `action`. */
export const distributionPush = encoder.encode(
  JSON.stringify(patchedFixture("distribution-2.8-manifest-push-by-tag.json", { "events.0.action": "push" })),
);

/** One webhook per source, secrets from the environment variable WEBHOOK_SECRET. */
export function webhookConfig(oidc: TestOidcIssuer): ConfigInput {
  const secret = { env: "WEBHOOK_SECRET" };
  return {
    registries: [
      "127.0.0.1:*",
      "hub.harbor.com",
      "harbor.dev",
      "harbor.example.com",
      "docker.io",
      "ghcr.io",
      "123456789012.dkr.ecr.us-west-2.amazonaws.com",
      "myregistry.azurecr.io",
      "quay.io",
      "us-west1-docker.pkg.dev",
      "example.jfrog.io",
      "zot.example",
    ].map((host) => ({ host })),
    webhooks: [
      {
        name: "local",
        kind: "distribution",
        settings: { auth: { bearer: secret } },
        registries: ["127.0.0.1:*"],
      },
      { name: "harbor", kind: "harbor", settings: { auth: { value: secret } } },
      { name: "hub", kind: "dockerhub", settings: { token: secret } },
      { name: "gh", kind: "github", settings: { secret } },
      { name: "ecr", kind: "ecr", settings: { auth: { header: "x-api-key", value: secret } } },
      { name: "acr", kind: "acr", settings: { auth: { header: "X-Acr-Token", value: secret } } },
      { name: "quay", kind: "quay", settings: { token: secret, tokenParameter: "key" } },
      {
        name: "gar",
        kind: "gar",
        settings: { audience: GAR_AUDIENCE, serviceAccountEmail: GAR_EMAIL, jwks: { keys: oidc.jwks.keys } },
      },
      {
        name: "jfrog",
        kind: "artifactory",
        settings: { secret, secretMode: "hmac-sha256", registry: "example.jfrog.io" },
      },
      {
        name: "zot",
        kind: "zot",
        settings: { auth: { basic: { username: "zot", password: secret } }, registry: "zot.example" },
      },
    ],
  } as ConfigInput;
}

export interface Credential {
  readonly headers: Record<string, string>;
  readonly query: string;
}

export interface WebhookCase {
  readonly webhook: string;
  readonly body: () => Uint8Array;
  readonly headers?: Record<string, string>;
  credential(body: Uint8Array): Promise<Credential>;
  /** The job request each accepted event must produce. */
  readonly jobs: readonly { registry: string; repository: string; reference: string; digest?: string }[];
}

const header = (name: string, value: string) => async (): Promise<Credential> => ({
  headers: { [name]: value },
  query: "",
});

const githubSignature = async (body: Uint8Array): Promise<Credential> => ({
  headers: { "x-hub-signature-256": `sha256=${await hmacSha256Hex(SECRET, body)}` },
  query: "",
});

/** A job for an event that names the pushed digest: reference and digest are the same. */
const pinned = (registry: string, repository: string, digest: string) => ({
  registry,
  repository,
  reference: digest,
  digest,
});

/** By source and delivery mode; `oidc()` signs the Pub/Sub tokens of the GAR cases (only when needed). */
export function webhookCases(oidc: () => TestOidcIssuer): Record<string, WebhookCase> {
  const garToken = async (): Promise<Credential> => ({
    headers: {
      authorization: `Bearer ${await oidc().sign(pubsubClaims({ aud: GAR_AUDIENCE, email: GAR_EMAIL }))}`,
    },
    query: "",
  });
  const garJobs = [
    pinned(
      "us-west1-docker.pkg.dev",
      "my-project/my-repo/hello-world",
      "sha256:6ec128e26cd5c6d4ba6b7e2e6ba4a8b6d1bdbd2fef0c4d6b1e8d0bcbc0f6a1d2",
    ),
  ];
  return {
    distribution: {
      webhook: "local",
      body: () => distributionPush,
      headers: { "content-type": "application/vnd.docker.distribution.events.v1+json" },
      credential: header("authorization", `Bearer ${SECRET}`),
      jobs: [
        pinned(
          "127.0.0.1:5001",
          "test/app",
          "sha256:8674fffc6af5b2968f0a4e998a05fc2918fb8080ed6727ae06b9e26ece562dab",
        ),
      ],
    },
    "harbor default": {
      webhook: "harbor",
      body: () => fixtureBytes("harbor-default-push.json"),
      credential: header("authorization", SECRET),
      jobs: [
        pinned(
          "hub.harbor.com",
          "test-webhook/debian",
          "sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8",
        ),
      ],
    },
    "harbor cloudevents": {
      webhook: "harbor",
      body: () => fixtureBytes("harbor-cloudevents-push-by-digest.json"),
      headers: { "content-type": "application/cloudevents+json" },
      credential: header("authorization", SECRET),
      jobs: [
        pinned(
          "harbor.dev",
          "library/busybox",
          "sha256:dde8e930c7b6a490f728e66292bc9bce42efc9bbb5278bae40e4f30f6e00fe8c",
        ),
      ],
    },
    "harbor 1.x": {
      webhook: "harbor",
      body: () => fixtureBytes("harbor-1.10-push-image.json"),
      credential: header("authorization", SECRET),
      jobs: [
        pinned(
          "harbor.example.com",
          "test-webhooks-event/busybox",
          "sha256:b4758aaed11c155a476b9857e1178f157759c99cb04c907a04993f5481eff848",
        ),
      ],
    },
    dockerhub: {
      webhook: "hub",
      body: () => fixtureBytes("dockerhub-push.json"),
      credential: async () => ({ headers: {}, query: `?token=${SECRET}` }),
      // No digest in Docker Hub's payload: the job resolves the tag once.
      jobs: [{ registry: "docker.io", repository: "svendowideit/testhook", reference: "latest" }],
    },
    github: {
      webhook: "gh",
      body: () => fixtureBytes("github-package-published.json"),
      headers: { "x-github-event": "package", "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
      credential: githubSignature,
      jobs: [
        pinned(
          "ghcr.io",
          "codertocat/hello-world",
          "sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8",
        ),
      ],
    },
    "github create": {
      webhook: "gh",
      body: () =>
        encoder.encode(JSON.stringify(patchedFixture("github-package-published.json", { action: "create" }))),
      headers: { "x-github-event": "package", "x-github-delivery": "7a1e0b2c-1d2e-4f50-8a6b-0c1d2e3f4a5b" },
      credential: githubSignature,
      jobs: [
        pinned(
          "ghcr.io",
          "codertocat/hello-world",
          "sha256:6c62fb45f1a87cd3a1b2c1ea2dd8b3e8a3a8c1d6f0f6c9e7a1e2b3c4d5e6f7a8",
        ),
      ],
    },
    ecr: {
      webhook: "ecr",
      body: () => fixtureBytes("ecr-eventbridge-push.json"),
      credential: header("x-api-key", SECRET),
      jobs: [
        pinned(
          "123456789012.dkr.ecr.us-west-2.amazonaws.com",
          "my-repository-name",
          "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678",
        ),
      ],
    },
    acr: {
      webhook: "acr",
      body: () => fixtureBytes("acr-push.json"),
      credential: header("x-acr-token", SECRET),
      jobs: [
        pinned(
          "myregistry.azurecr.io",
          "hello-world",
          "sha256:80f0d5c8786bb9e621a45ece0db56d11cdc624ad20da9fe62e9d25490f331d7d",
        ),
      ],
    },
    quay: {
      webhook: "quay",
      body: () => fixtureBytes("quay-repo-push.json"),
      credential: async () => ({ headers: {}, query: `?key=${SECRET}` }),
      jobs: [{ registry: "quay.io", repository: "dgangaia/test", reference: "latest" }],
    },
    "quay legacy": {
      webhook: "quay",
      body: () => fixtureBytes("quay-repo-push-legacy.json"),
      credential: async () => ({ headers: {}, query: `?key=${SECRET}` }),
      jobs: [{ registry: "quay.io", repository: "devtable/ubuntu", reference: "latest" }],
    },
    gar: {
      webhook: "gar",
      body: () => fixtureBytes("gar-pubsub-push.json"),
      credential: garToken,
      jobs: garJobs,
    },
    // Payload unwrapping with "write metadata": the raw notification, Pub/Sub metadata in headers.
    "gar unwrapped": {
      webhook: "gar",
      body: () => fixtureBytes("gar-pubsub-unwrapped.json"),
      headers: {
        "x-goog-pubsub-subscription-name": "projects/my-project/subscriptions/countersign-push",
        "x-goog-pubsub-message-id": "2070443601311541",
        "x-goog-pubsub-publish-time": "2021-02-26T19:13:55.749Z",
      },
      credential: garToken,
      jobs: garJobs,
    },
    artifactory: {
      webhook: "jfrog",
      body: () => fixtureBytes("artifactory-docker-pushed.json"),
      credential: async (body) => ({
        headers: { "x-jfrog-event-auth": await hmacSha256Hex(SECRET, body) },
        query: "",
      }),
      jobs: [
        // The default "repository path" addressing: `<host>/<repo_key>/<image>`.
        pinned(
          "example.jfrog.io",
          "docker-local/library/ubuntu",
          "sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce",
        ),
      ],
    },
    zot: {
      webhook: "zot",
      body: () => fixtureBytes("zot-image-updated-data.json"),
      headers: {
        "ce-specversion": "1.0",
        "ce-id": "1",
        "ce-source": "zotregistry.dev",
        "ce-type": "zotregistry.image.updated",
      },
      credential: header("authorization", `Basic ${btoa(`zot:${SECRET}`)}`),
      jobs: [
        pinned(
          "zot.example",
          "library/alpine",
          "sha256:0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829",
        ),
      ],
    },
  };
}
