// The Worker bundle as `wrangler deploy --dry-run` builds it: within its size budget, built from the
// right pieces, and a Worker that cannot start says why without leaking what it was given.
import { generateKeyPairSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorkerBundle, startLocalWorker, type WorkerBundle } from "../support/workers/local-worker.ts";

/** Issue 5: "`wrangler deploy --dry-run --outdir` bundle: budget 300 KB gzip". */
const BUDGET_GZIP_BYTES = 300_000;

let bundle: WorkerBundle;
let text: string;

beforeAll(async () => {
  bundle = await buildWorkerBundle();
  text = await readFile(bundle.file, "utf8");
});

afterAll(async () => {
  await bundle?.cleanup();
});

async function problemFrom(bindings: Record<string, unknown>): Promise<{ status: number; body: string }> {
  const worker = await startLocalWorker(bundle, { bindings });
  try {
    const response = await fetch(`${worker.url}/healthz`);
    return { status: response.status, body: await response.text() };
  } finally {
    await worker.dispose();
  }
}

describe("the Worker bundle", () => {
  it(`stays within ${BUDGET_GZIP_BYTES / 1000} KB gzip, in one module`, () => {
    expect(bundle.modules).toEqual(["cloudflare.js"]);
    expect(bundle.gzipBytes, `${bundle.gzipBytes} bytes gzip (${bundle.bytes} raw)`).toBeLessThanOrEqual(
      BUDGET_GZIP_BYTES,
    );
  });

  it("carries the AWS SDK's fetch build and zod without its locales (wrangler.toml [alias])", () => {
    expect(text).not.toContain("NodeHttpHandler");
    expect(text).toContain("FetchHttpHandler");
    // A German message from zod's `de` locale: present whenever the locales come back.
    expect(text).not.toContain("E-Mail-Adresse");
    // The node:crypto shim @sigstore/verify needs in workerd (functions/cloudflare/node-crypto.ts).
    expect(text).toMatch(/"ec"\s*\|\|\s*\w+\s*===\s*"rsa"\s*\?\s*"sha256"/);
  });
});

describe("a Worker that cannot start", () => {
  it("answers 500 naming a { file } secret as unsupported, with what to do instead", async () => {
    const { status, body } = await problemFrom({
      COUNTERSIGN_CONFIG: JSON.stringify({ api: { tokens: [{ file: "/run/secrets/api-token" }] } }),
    });
    expect(status).toBe(500);
    const problem = JSON.parse(body) as { type: string; detail: string };
    expect(problem.type).toBe("urn:countersign:problem:internal");
    expect(problem.detail).toContain('api.tokens[0]: cannot read secret file "/run/secrets/api-token"');
    expect(problem.detail).toContain("wrangler secret put");
  });

  it("answers 500 asking for a signing key, and never echoes a secret it was given", async () => {
    const secret = "do-not-echo-this-token-0123456789";
    const { status, body } = await problemFrom({
      COUNTERSIGN_CONFIG: JSON.stringify({ api: { tokens: [{ env: "API_TOKEN" }] } }),
      API_TOKEN: secret,
    });
    expect(status).toBe(500);
    expect(body).toContain("COUNTERSIGN_SIGNING_KEY");
    expect(body).not.toContain(secret);
    const kms = await problemFrom({
      COUNTERSIGN_CONFIG: JSON.stringify({ signer: { key: "awskms:///alias/x" } }),
    });
    expect(kms.body).toContain("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  });

  it("starts with a local PKCS#8 key from the COUNTERSIGN_SIGNING_KEY secret", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const worker = await startLocalWorker(bundle, {
      bindings: { COUNTERSIGN_SIGNING_KEY: privateKey.export({ type: "pkcs8", format: "pem" }) },
    });
    try {
      const keys = (await (await fetch(`${worker.url}/v1/keys`)).json()) as { keys: Array<{ pem: string }> };
      expect(keys.keys.map((k) => k.pem)).toEqual([publicKey.export({ type: "spki", format: "pem" })]);
      expect(worker.logs()).toContain("countersign composed");
      expect(worker.logs()).not.toContain("PRIVATE KEY");
    } finally {
      await worker.dispose();
    }
  });
});
