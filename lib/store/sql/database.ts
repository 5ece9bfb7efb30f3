// The least a SQL backend must offer the store: node:sqlite (functions/node/sqlite-store.ts) and
// Cloudflare D1 (./d1.ts) both fit. Parameters are positional `?` only, the one style both accept.

export type SqlValue = string | number | null;

export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

export interface SqlRunResult {
  /** Rows inserted, updated or deleted (SQLite `changes()`, D1 `meta.changes`). */
  readonly changes: number;
}

export interface SqlDatabase {
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** The first row, or undefined when there is none. */
  first<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  /** Runs the statements in one transaction, in order (D1 `batch`). */
  batch?(statements: readonly SqlStatement[]): Promise<void>;
}
