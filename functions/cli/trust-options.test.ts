// The timestamp and trust flags' own mistakes: each is one usage line naming the flag.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalSigner } from "../../lib/signing/local.ts";
import { issueCertificate } from "../../test/support/signing/test-pki.ts";
import { UsageError } from "./command.ts";
import { timestamperOption } from "./timestamp-options.ts";
import { withTrustOptions } from "./trust-options.ts";

let dir: string;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "countersign-trust-flags-"));
  const der = await issueCertificate({
    commonName: "tsa root",
    subjectKey: await LocalSigner.generate("ES256"),
    ca: true,
  });
  root = join(dir, "root.pem");
  await writeFile(
    root,
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64")}\n-----END CERTIFICATE-----\n`,
  );
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("--timestamp-url and --timestamp-root-cert", () => {
  it("make a timestamper together, nothing when both are absent", async () => {
    expect((await timestamperOption("http://127.0.0.1:9/tsr", root))?.url).toBe("http://127.0.0.1:9/tsr");
    expect(await timestamperOption(undefined, undefined)).toBeUndefined();
  });

  it.each([
    ["a URL without a root", ["http://127.0.0.1:9/", undefined], /go together/],
    ["a root without a URL", [undefined, "root.pem"], /go together/],
    ["a URL that is not http(s)", ["ftp://tsa.example/", "ROOT"], /--timestamp-url: .*http or https/],
    [
      "a root file that is not there",
      ["http://127.0.0.1:9/", "/nonexistent/root.pem"],
      /--timestamp-root-cert \/nonexistent/,
    ],
  ])("refuse %s", async (_name, [url, file], message) => {
    const option = timestamperOption(url, file === "ROOT" ? root : file);
    await expect(option).rejects.toThrow(UsageError);
    await expect(option).rejects.toThrow(message);
  });
});

describe("verify's trust flags", () => {
  it("refuse --trust-store-root without --trust-policy, and a trusted root that is not one", async () => {
    const material = { publicKeys: [], trustStore: [] };
    await expect(withTrustOptions(material, { "trust-store-root": dir })).rejects.toThrow(
      /goes with --trust-policy/,
    );
    const notRoot = join(dir, "trusted_root.json");
    await writeFile(notRoot, JSON.stringify({ mediaType: "application/json" }));
    await expect(withTrustOptions(material, { "trusted-root": notRoot })).rejects.toThrow(
      /mediaType must be/,
    );
  });

  it("add a tsa store and --use-signed-timestamps to the material", async () => {
    const material = await withTrustOptions(
      { publicKeys: [], trustStore: [] },
      { "tsa-trust-store": root, "use-signed-timestamps": true },
    );
    expect(material.tsaTrustStore).toHaveLength(1);
    expect(material.requireSignedTimestamp).toBe(true);
  });

  it("read a folder for --tsa-trust-store as --trust-store reads one: files without a certificate passed over", async () => {
    const folder = join(dir, "tsa-folder");
    await mkdir(folder);
    await writeFile(join(folder, "a-root.cer"), await readFile(root));
    await writeFile(
      join(folder, "signing-key.pem"),
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    const material = await withTrustOptions(
      { publicKeys: [], trustStore: [] },
      { "tsa-trust-store": folder },
    );
    expect(material.tsaTrustStore).toHaveLength(1);
    const empty = join(dir, "no-certificates");
    await mkdir(empty);
    await writeFile(
      join(empty, "signing-key.pem"),
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    await expect(
      withTrustOptions({ publicKeys: [], trustStore: [] }, { "tsa-trust-store": empty }),
    ).rejects.toThrow(
      `--tsa-trust-store ${empty}: no certificate found (expected PEM "CERTIFICATE" blocks in its *.pem, *.crt and *.cer files)`,
    );
  });
});
