// The shutdown's rules with a stand-in process: one graceful close per stop, Ctrl-C's double delivery
// counted once, a later signal stopping at once, a bound on the drain, and the parent watch under npm only.
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ShutdownProcess, untilStopped } from "./shutdown.ts";

class FakeProcess extends EventEmitter implements ShutdownProcess {
  ppid = 4242;
  readonly env: Record<string, string | undefined>;
  constructor(env: Record<string, string | undefined> = {}) {
    super();
    this.env = env;
  }
  signal(name: "SIGINT" | "SIGTERM"): void {
    this.emit(name);
  }
}

afterEach(() => vi.useRealTimers());

function setup(close: () => Promise<void>, env: Record<string, string> = {}, limitMs = 30_000) {
  const proc = new FakeProcess(env);
  const lines: string[] = [];
  const stopped = untilStopped(close, {
    process: proc,
    limitMs,
    log: (line) => lines.push(line),
    parentPollMs: 100,
  });
  return { proc, lines, stopped };
}

describe("untilStopped", () => {
  it("closes once on SIGTERM and reports a graceful stop", async () => {
    const close = vi.fn(async () => {});
    const { proc, lines, stopped } = setup(close);
    proc.signal("SIGTERM");
    expect(await stopped).toEqual({ code: 0, graceful: true });
    expect(close).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([
      "countersign: SIGTERM: shutting down, draining running jobs (at most 30 s; send it again to stop at once)",
      "countersign: stopped",
    ]);
    expect(proc.listenerCount("SIGTERM") + proc.listenerCount("SIGINT")).toBe(0);
  });

  it("counts Ctrl-C's two deliveries as one, and a signal a second later as a demand to stop now", async () => {
    vi.useFakeTimers();
    let release = () => {};
    const close = vi.fn(() => new Promise<void>((done) => (release = done)));
    const { proc, lines, stopped } = setup(close);
    proc.signal("SIGINT");
    proc.signal("SIGINT");
    expect(close).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1500);
    proc.signal("SIGINT");
    expect(await stopped).toEqual({ code: 130, graceful: false });
    expect(lines.at(-1)).toBe("countersign: SIGINT again: stopping now, without waiting for running jobs");
    release();
  });

  it("gives up on a drain that outlasts the limit", async () => {
    vi.useFakeTimers();
    const { proc, lines, stopped } = setup(() => new Promise<void>(() => {}), {}, 5000);
    proc.signal("SIGTERM");
    vi.advanceTimersByTime(5000);
    expect(await stopped).toEqual({ code: 1, graceful: false });
    expect(lines.at(-1)).toBe("countersign: jobs still running after 5 s: stopping anyway");
  });

  it("under npm, stops when the parent process is gone; elsewhere a new parent is no reason", async () => {
    vi.useFakeTimers();
    const underNpm = setup(async () => {}, { npm_lifecycle_event: "start" });
    underNpm.proc.ppid = 1;
    await vi.advanceTimersByTimeAsync(150);
    expect(await underNpm.stopped).toEqual({ code: 0, graceful: true });
    expect(underNpm.lines[0]).toMatch(/^countersign: the process that started it exited: shutting down/);

    const close = vi.fn(async () => {});
    const detached = setup(close);
    detached.proc.ppid = 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect(close).not.toHaveBeenCalled();
    detached.proc.signal("SIGTERM");
    await detached.stopped;
  });
});
