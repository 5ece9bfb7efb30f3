// Structured logs: one JSON object per line, which every runtime's log pipeline ingests as is
// (Workers Logs, CloudWatch, journald). Every field passes through the redaction layer on the way out,
// so a caller that logs a header map or an error carrying a URL cannot leak a credential.
import { redactValue, scrubString } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. the request id). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Receives each finished line; defaults to `console.log`, which every runtime captures. */
  readonly write?: (line: string) => void;
  /** Lines below this level are dropped. Default `info`. */
  readonly level?: LogLevel;
  readonly clock?: () => Date;
  /** Fields on every line (service name, version). */
  readonly bindings?: LogFields;
}

// Fields the logger owns: a caller's field of the same name cannot overwrite them.
const RESERVED = new Set(["time", "level", "msg"]);

class JsonLogger implements Logger {
  readonly #write: (line: string) => void;
  readonly #level: LogLevel;
  readonly #clock: () => Date;
  readonly #bindings: LogFields;

  constructor(write: (line: string) => void, level: LogLevel, clock: () => Date, bindings: LogFields) {
    this.#write = write;
    this.#level = level;
    this.#clock = clock;
    this.#bindings = bindings;
  }

  debug(message: string, fields?: LogFields): void {
    this.#log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log("error", message, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.#write, this.#level, this.#clock, { ...this.#bindings, ...fields });
  }

  #log(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[this.#level]) return;
    const record: Record<string, unknown> = {
      time: this.#clock().toISOString(),
      level,
      msg: scrubString(message),
    };
    const extra = redactValue({ ...this.#bindings, ...fields }) as Record<string, unknown>;
    for (const [key, value] of Object.entries(extra)) {
      if (!RESERVED.has(key) && value !== undefined) record[key] = value;
    }
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      // A cycle the depth limit did not stop, or a toJSON that throws: keep the line, drop the fields.
      line = JSON.stringify({
        time: record.time,
        level,
        msg: record.msg,
        logError: "fields not serializable",
      });
    }
    this.#write(line);
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return new JsonLogger(
    options.write ?? ((line) => console.log(line)),
    options.level ?? "info",
    options.clock ?? (() => new Date()),
    options.bindings ?? {},
  );
}

/** Discards everything (tests that do not look at logs, library defaults). */
export const silentLogger: Logger = createLogger({ write: () => {} });
