// Store failures, one class per thing a caller can act on; the edge maps them to problem types
// (JobNotFoundError → 404, the rest → 503 or a retry).

/** The backend failed (I/O, constraint, driver); `cause` holds the driver's error. */
export class StoreError extends Error {
  override readonly name: string = "StoreError";
}

export class JobNotFoundError extends StoreError {
  override readonly name = "JobNotFoundError";
  readonly jobId: string;
  constructor(jobId: string, options?: ErrorOptions) {
    super(`job ${JSON.stringify(jobId)} not found`, options);
    this.jobId = jobId;
  }
}

export class JobExistsError extends StoreError {
  override readonly name = "JobExistsError";
  readonly jobId: string;
  constructor(jobId: string, options?: ErrorOptions) {
    super(`job ${JSON.stringify(jobId)} already exists`, options);
    this.jobId = jobId;
  }
}

/** `withSubjectLock` gave up waiting: another owner kept the subject locked (transient: retry the job). */
export class LockTimeoutError extends StoreError {
  override readonly name = "LockTimeoutError";
  readonly subjectKey: string;
  readonly waitedMs: number;
  constructor(subjectKey: string, waitedMs: number, options?: ErrorOptions) {
    super(`timed out after ${waitedMs} ms waiting for the lock on ${subjectKey}`, options);
    this.subjectKey = subjectKey;
    this.waitedMs = waitedMs;
  }
}

/**
 * The lease could not be renewed while the critical section ran (the process stalled past the lease
 * and another owner took it): what it wrote may have raced, so the job must run again.
 */
export class LockLostError extends StoreError {
  override readonly name = "LockLostError";
  readonly subjectKey: string;
  constructor(subjectKey: string, options?: ErrorOptions) {
    super(`lost the lock on ${subjectKey} before the critical section finished`, options);
    this.subjectKey = subjectKey;
  }
}
