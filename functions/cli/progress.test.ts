import { describe, expect, it } from "vitest";
import type { CopyProgress, CopyResult } from "../../lib/oci/copy/copy.ts";
import { CopyProgressDisplay, formatBytes } from "./progress.ts";

const blob = (bytes: number, extra: Partial<CopyProgress> = {}): CopyProgress => ({
  kind: "blob",
  descriptor: { mediaType: "application/octet-stream", digest: `sha256:${"b".repeat(64)}`, size: bytes },
  bytes,
  skipped: false,
  mounted: false,
  role: "image",
  ...extra,
});
const result: CopyResult = {
  descriptor: {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${"c".repeat(64)}`,
    size: 1,
  },
  manifests: 1,
  blobs: 2,
  bytes: 3 * 1024 * 1024,
  skipped: 1,
  mounted: 0,
  referrers: 1,
  tags: ["v1"],
};

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    out: { isTTY, write: (chunk: string | Uint8Array) => chunks.push(String(chunk)) },
    text: () => chunks.join(""),
  };
}

describe("CopyProgressDisplay", () => {
  it("writes one plain line per item when stderr is not a terminal", () => {
    const { out, text } = stream(false);
    const display = new CopyProgressDisplay(out);
    display.onProgress(blob(2048));
    display.onProgress(blob(0, { skipped: true, role: "referrer" }));
    display.finish(result);
    expect(text().split("\n")).toEqual([
      `blob sha256:${"b".repeat(64)} copied 2.0 KiB`,
      `blob sha256:${"b".repeat(64)} exists [referrer]`,
      expect.stringMatching(
        /^copied 1 manifest and 2 blobs, 3\.0 MiB transferred \(1 already there, 1 referrer\) in \d+\.\ds$/,
      ),
      "",
    ]);
  });

  it("redraws one status line on a terminal and clears it at the end", () => {
    const { out, text } = stream(true);
    const display = new CopyProgressDisplay(out);
    display.onProgress(blob(1024, { mounted: true }));
    display.finish(result);
    const clear = "\r\u001b[K";
    expect(
      text().startsWith(
        `${clear}copying: 0 B / 0 B at 0 B/s; 0 manifests, 1 blobs (0 already there, 1 mounted)${clear}copied `,
      ),
    ).toBe(true);
    expect(text()).not.toContain("\nblob ");
  });

  it("shows bytes done of the total and the rate while a blob streams, not only when it completes", async () => {
    const { out, text } = stream(true);
    const display = new CopyProgressDisplay(out);
    const big = blob(290 * 1024 * 1024).descriptor;
    await new Promise((resolve) => setTimeout(resolve, 150));
    display.onTransfer({ descriptor: big, transferred: 100 * 1024 * 1024 });
    expect(text()).toMatch(/copying: 100\.0 MiB \/ 290\.0 MiB at [\d.]+ [KMG]iB\/s; 0 manifests, 0 blobs/);
    // Plain output stays one line per item: no redraws for bytes.
    const plain = stream(false);
    new CopyProgressDisplay(plain.out).onTransfer({ descriptor: big, transferred: 1 });
    expect(plain.text()).toBe("");
  });

  it("formats sizes in binary units", () => {
    expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual([
      "0 B",
      "1023 B",
      "1.5 KiB",
      "5.0 GiB",
    ]);
  });
});
