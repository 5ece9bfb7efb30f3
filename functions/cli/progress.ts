// Copy progress on stderr: one redrawn status line on a terminal (bytes done of the total known so far,
// and the rate, while blobs stream), one plain line per item otherwise (logs and CI keep a readable record).
import type { CopyProgress, CopyResult, TransferProgress } from "../../lib/oci/copy/copy.ts";
import type { OutputStream } from "./io.ts";

/** Redraw at most this often: a copy of thousands of small blobs should not flood the terminal. */
const REDRAW_MS = 100;

export class CopyProgressDisplay {
  readonly #out: OutputStream;
  readonly #tty: boolean;
  readonly #started = Date.now();
  #lastDraw = 0;
  #drawn = false;
  readonly #totals = { blobs: 0, manifests: 0, bytes: 0, skipped: 0, mounted: 0 };
  /** Blobs streaming or streamed: bytes so far of each, against their sizes. */
  readonly #transfers = new Map<string, { transferred: number; size: number }>();

  constructor(out: OutputStream) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  readonly onProgress = (event: CopyProgress): void => {
    if (event.kind === "blob") this.#totals.blobs++;
    else this.#totals.manifests++;
    this.#totals.bytes += event.bytes;
    if (event.skipped) this.#totals.skipped++;
    if (event.mounted) this.#totals.mounted++;
    if (!this.#tty) {
      this.#out.write(`${describe(event)}\n`);
      return;
    }
    const now = Date.now();
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#draw();
  };

  /** While blobs stream: redraws bytes done, total and rate (a terminal only; plain output logs per item). */
  readonly onTransfer = (event: TransferProgress): void => {
    this.#transfers.set(event.descriptor.digest, {
      transferred: event.transferred,
      size: event.descriptor.size,
    });
    if (!this.#tty) return;
    const now = Date.now();
    if (now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#draw();
  };

  finish(result: CopyResult): void {
    if (this.#tty && this.#drawn) this.#out.write("\r\x1b[K");
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(1);
    const extra = [
      result.skipped > 0 ? `${result.skipped} already there` : "",
      result.mounted > 0 ? `${result.mounted} mounted` : "",
      result.referrers > 0 ? plural(result.referrers, "referrer") : "",
    ].filter(Boolean);
    this.#out.write(
      `copied ${plural(result.manifests, "manifest")} and ${plural(result.blobs, "blob")}, ${formatBytes(result.bytes)} transferred` +
        `${extra.length > 0 ? ` (${extra.join(", ")})` : ""} in ${seconds}s\n`,
    );
  }

  #draw(): void {
    const t = this.#totals;
    this.#drawn = true;
    let done = 0;
    let total = 0;
    for (const transfer of this.#transfers.values()) {
      done += transfer.transferred;
      total += transfer.size;
    }
    const seconds = Math.max((Date.now() - this.#started) / 1000, 0.001);
    this.#out.write(
      `\r\x1b[Kcopying: ${formatBytes(done)} / ${formatBytes(total)} at ${formatBytes(done / seconds)}/s;` +
        ` ${t.manifests} manifests, ${t.blobs} blobs (${t.skipped} already there, ${t.mounted} mounted)`,
    );
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function describe(event: CopyProgress): string {
  const state = event.skipped ? "exists" : event.mounted ? "mounted" : `copied ${formatBytes(event.bytes)}`;
  const role = event.role === "image" ? "" : ` [${event.role}]`;
  const tag = event.tag === undefined ? "" : ` as ${event.tag}`;
  return `${event.kind} ${event.descriptor.digest} ${state}${tag}${role}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
