// Registry notifications arrive asynchronously, so the end-to-end tests observe "done" rather than await
// it: no job is queued, running or waiting for a retry, and the job list has not changed for 1.5 s.
import type { Job } from "../../../lib/store/store.ts";

export interface WaitForIdleOptions {
  /** The service's jobs, as its store or API lists them. */
  readonly jobs: () => Promise<readonly Job[]>;
  /** Other work in flight the job list does not show (e.g. an in-process queue). */
  readonly pending?: () => boolean;
  /** Keep waiting while there is no job at all (the first notification is still on its way). */
  readonly untilFirstJob?: boolean;
  readonly timeoutMs?: number;
  /** What the timeout error says (e.g. the Worker's log). */
  readonly describe?: () => string;
}

const QUIET_MS = 1_500;

export async function waitForIdleJobs(options: WaitForIdleOptions): Promise<readonly Job[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let quietSince = Date.now();
  let last = "";
  while (Date.now() < deadline) {
    const jobs = await options.jobs();
    const fingerprint = jobs.map((j) => `${j.id}:${j.status}`).join();
    const busy =
      (options.untilFirstJob === true && jobs.length === 0) ||
      jobs.some((j) => j.status === "queued" || j.status === "running" || j.status === "failed") ||
      options.pending?.() === true;
    if (busy || fingerprint !== last) {
      last = fingerprint;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > QUIET_MS) {
      return jobs;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(options.describe?.() ?? "the service did not become idle");
}
