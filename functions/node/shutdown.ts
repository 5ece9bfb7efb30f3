// How `countersign serve` stops: SIGINT or SIGTERM starts one graceful shutdown (stop listening, drain
// the running jobs, close the store), bounded in time; a second signal later on stops at once. Under npm
// (`npm start`, `npx countersign serve`) a shell may stand between npm and this process and die without
// passing a signal on, so the service also stops when the process that started it is gone: no orphan
// left listening.

/** What of `process` the shutdown uses, so that a test can drive it. */
export interface ShutdownProcess {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  readonly ppid: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ShutdownOptions {
  readonly process: ShutdownProcess;
  /** The whole graceful shutdown may take this long; then the process exits regardless. */
  readonly limitMs: number;
  readonly log: (line: string) => void;
  /** How often the parent process is looked for (under npm). */
  readonly parentPollMs?: number;
}

export interface Stopped {
  /** 0 after a graceful shutdown; 1 when it ran out of time; 128 + signal number when stopped at once. */
  readonly code: number;
  /** False when jobs or connections may still hold the event loop: the caller must exit the process. */
  readonly graceful: boolean;
}

const SIGNAL_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };
/**
 * Ctrl-C reaches every process of the terminal's foreground group, and npm passes its own copy on: one
 * key press arrives twice within milliseconds. Only a signal later than this counts as "again".
 */
const REPEAT_AFTER_MS = 1000;

/** Resolves when the service has stopped, gracefully or not; `close` is called at most once. */
export function untilStopped(close: () => Promise<void>, options: ShutdownOptions): Promise<Stopped> {
  const { process: proc, log } = options;
  return new Promise<Stopped>((done) => {
    let startedAt: number | undefined;
    let finished = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (stopped: Stopped) => {
      if (finished) return;
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      proc.off("SIGINT", onSigint);
      proc.off("SIGTERM", onSigterm);
      done(stopped);
    };
    const begin = (reason: string, code: number) => {
      if (startedAt !== undefined) {
        if (Date.now() - startedAt < REPEAT_AFTER_MS) return;
        log(`countersign: ${reason} again: stopping now, without waiting for running jobs`);
        finish({ code, graceful: false });
        return;
      }
      startedAt = Date.now();
      log(
        `countersign: ${reason}: shutting down, draining running jobs (at most ${Math.ceil(options.limitMs / 1000)} s; send it again to stop at once)`,
      );
      const limit = setTimeout(() => {
        log(`countersign: jobs still running after ${Math.ceil(options.limitMs / 1000)} s: stopping anyway`);
        finish({ code: 1, graceful: false });
      }, options.limitMs);
      limit.unref();
      timers.push(limit);
      close().then(
        () => {
          log("countersign: stopped");
          finish({ code: 0, graceful: true });
        },
        (error: unknown) => {
          log(`countersign: shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          finish({ code: 1, graceful: false });
        },
      );
    };
    const onSigint = () => begin("SIGINT", SIGNAL_CODES.SIGINT!);
    const onSigterm = () => begin("SIGTERM", SIGNAL_CODES.SIGTERM!);
    proc.on("SIGINT", onSigint);
    proc.on("SIGTERM", onSigterm);
    // npm sets npm_lifecycle_event for `npm start`, `npm run …` and npx. Elsewhere (systemd, a container,
    // `nohup … &`) a new parent is no reason to stop.
    if (proc.env.npm_lifecycle_event !== undefined) {
      const parent = proc.ppid;
      const poll = () => {
        if (finished) return;
        if (proc.ppid !== parent) begin("the process that started it exited", SIGNAL_CODES.SIGTERM!);
        else schedule();
      };
      const schedule = () => {
        const timer = setTimeout(poll, options.parentPollMs ?? 1000);
        timer.unref();
        timers.push(timer);
      };
      schedule();
    }
  });
}
