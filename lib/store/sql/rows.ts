// Rows of the SQL store's tables and their mapping to the Store's records (snake_case columns,
// NULL for absent optional fields, outcomes as JSON text).
import type { FormatName } from "../../formats/index.ts";
import { StoreError } from "../errors.ts";
import type { FormatOutcomes, Job, JobStatus, SignatureRecord } from "../store.ts";

export interface JobRow {
  readonly id: string;
  readonly status: string;
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
  readonly digest: string | null;
  readonly source: string | null;
  readonly attempts: number;
  readonly last_error: string | null;
  readonly outcomes: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
}

export interface SignatureRow {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
  readonly format: string;
  readonly key_id: string;
  readonly signature_digest: string;
  readonly artifact_type: string;
  readonly created_at: string;
}

export function toJob(row: JobRow): Job {
  let outcomes: FormatOutcomes;
  try {
    outcomes = JSON.parse(row.outcomes) as FormatOutcomes;
  } catch (error) {
    throw new StoreError(`job ${row.id} has unreadable outcomes`, { cause: error });
  }
  return {
    id: row.id,
    status: row.status as JobStatus,
    request: {
      registry: row.registry,
      repository: row.repository,
      reference: row.reference,
      ...(row.digest === null ? {} : { digest: row.digest }),
    },
    ...(row.source === null ? {} : { source: row.source }),
    attempts: row.attempts,
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    outcomes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
  };
}

export function toSignature(row: SignatureRow): SignatureRecord {
  return {
    registry: row.registry,
    repository: row.repository,
    digest: row.digest,
    format: row.format as FormatName,
    keyId: row.key_id,
    signatureDigest: row.signature_digest,
    artifactType: row.artifact_type,
    createdAt: row.created_at,
  };
}
