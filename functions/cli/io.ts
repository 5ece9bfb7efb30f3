// What a command may touch of its process: two output streams and the environment. Commands receive
// it as an argument, so tests can run them in-process and main.ts is the only place that knows Node.

export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  /** True when the stream is a terminal (progress displays redraw a line only then). */
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function nodeIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
