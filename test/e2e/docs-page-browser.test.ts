// The /docs page as a browser shows it (issue 14 item 9): Debian's headless Chromium loads it from a
// running service, under the page's own content security policy, and every table is rendered whole: each
// row has as many cells as its header, and no cell is empty or squeezed to nothing. Chromium is driven
// over its DevTools protocol (Node's WebSocket): no driver package, no browser download.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/node/config-file.ts";
import { type RunningService, startService } from "../../functions/node/service.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

let work: string;
let service: RunningService;
let browser: ChildProcess;
let page: DevToolsPage;

/** One page target of Chromium's DevTools protocol: commands by id, events by method. */
class DevToolsPage {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (message: { result?: unknown; error?: { message: string } }) => void>();
  readonly #events = new Map<string, (() => void)[]>();
  #next = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data));
      if (message.id !== undefined) this.#pending.get(message.id)?.(message);
      else for (const listener of this.#events.get(message.method) ?? []) listener();
    });
  }

  static async open(url: string): Promise<DevToolsPage> {
    const socket = new WebSocket(url);
    await new Promise((done, fail) => {
      socket.addEventListener("open", done, { once: true });
      socket.addEventListener("error", fail, { once: true });
    });
    return new DevToolsPage(socket);
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise((done, fail) => {
      this.#pending.set(id, (message) => {
        this.#pending.delete(id);
        if (message.error) fail(new Error(`${method}: ${message.error.message}`));
        else done(message.result as T);
      });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  once(method: string): Promise<void> {
    return new Promise((done) => this.#events.set(method, [...(this.#events.get(method) ?? []), done]));
  }

  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: { value: T };
      exceptionDetails?: { text: string };
    }>("Runtime.evaluate", { expression, returnByValue: true });
    if (exceptionDetails) throw new Error(`page script failed: ${exceptionDetails.text}`);
    return result.value;
  }

  close(): void {
    this.#socket.close();
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM to a Chromium binary)`,
    );
  }
  work = await mkdtemp(join(tmpdir(), "countersign-docs-browser-"));
  service = await startService(await loadConfig(undefined, { cwd: work }), { port: 0 });
  browser = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${join(work, "chromium")}`,
      "--remote-debugging-port=0",
      "--window-size=1280,900",
      "about:blank",
    ],
    // Its own process group: the renderer and helper processes go down with it at the end.
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  // Chromium says where its DevTools endpoint is on stderr.
  const browserUrl = await new Promise<string>((done, fail) => {
    let stderr = "";
    const timer = setTimeout(() => fail(new Error(`Chromium did not start within 60 s:\n${stderr}`)), 60_000);
    browser.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    });
    browser.once("exit", (code) => fail(new Error(`Chromium exited (${code}):\n${stderr}`)));
  });
  const { host } = new URL(browserUrl);
  const targets = (await (await fetch(`http://${host}/json/list`)).json()) as {
    type: string;
    webSocketDebuggerUrl: string;
  }[];
  page = await DevToolsPage.open(targets.find((target) => target.type === "page")!.webSocketDebuggerUrl);
  await page.send("Page.enable");
  const loaded = page.once("Page.loadEventFired");
  await page.send("Page.navigate", { url: `${service.url}/docs` });
  await loaded;
}, 120_000);

afterAll(async () => {
  page?.close();
  if (browser?.pid !== undefined && browser.exitCode === null) {
    const exited = new Promise((resolve) => browser!.once("exit", resolve));
    // The whole group: a helper still writing into the profile made the removal below fail (ENOTEMPTY).
    process.kill(-browser.pid, "SIGKILL");
    await exited;
  }
  await service?.close();
  if (work) await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

interface TableView {
  readonly header: string[];
  readonly rows: { cells: string[]; widths: number[] }[];
}

describe("/docs in Chromium", () => {
  it("renders every table whole: no missing, empty or collapsed cell", async () => {
    const tables = await page.evaluate<TableView[]>(`[...document.querySelectorAll("table")].map((table) => {
      const [head, ...body] = [...table.rows];
      return {
        header: [...head.cells].map((cell) => cell.innerText.trim()),
        rows: body.map((row) => ({
          cells: [...row.cells].map((cell) => cell.innerText.trim()),
          widths: [...row.cells].map((cell) => cell.getBoundingClientRect().width),
        })),
      };
    })`);
    expect(tables.length).toBeGreaterThan(10);
    for (const [i, table] of tables.entries()) {
      expect(
        table.header.filter((text) => text === ""),
        `table ${i} header ${table.header}`,
      ).toEqual([]);
      for (const row of table.rows) {
        expect(row.cells.length, `table ${i} (${table.header}) row ${row.cells}`).toBe(table.header.length);
        expect(
          row.cells.filter((text) => text === ""),
          `table ${i} (${table.header}) row ${row.cells}`,
        ).toEqual([]);
        for (const width of row.widths) expect(width).toBeGreaterThan(8);
      }
    }
    const parameters = tables.find((table) => table.header[0] === "parameter");
    expect(parameters?.header).toEqual(["parameter", "in", "required", "type", "description"]);
  });

  it("shows the page within the window, with nothing blocked by its content security policy", async () => {
    const view = await page.evaluate<{ title: string; overflow: number; styled: string }>(`({
      title: document.title,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      styled: getComputedStyle(document.querySelector(".method")).fontWeight,
    })`);
    expect(view.title).toMatch(/Countersign/);
    // The inline stylesheet applied (the CSP allows it and nothing else): methods are bold.
    expect(view.styled).toBe("700");
    expect(view.overflow).toBeLessThanOrEqual(0);
    const screenshot = await page.send<{ data: string }>("Page.captureScreenshot", { format: "png" });
    await writeFile(join(work, "docs.png"), Buffer.from(screenshot.data, "base64"));
    expect(screenshot.data.length).toBeGreaterThan(1000);
  });
});
