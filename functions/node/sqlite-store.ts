// The embedded store for `countersign serve`: node:sqlite (no native addon) behind lib's SqlDatabase.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqlDatabase, SqlStatement, SqlValue } from "../../lib/store/sql/database.ts";
import { SqlStore, type SqlStoreOptions } from "../../lib/store/sql/store.ts";

/** Where the store lives inside the data directory. */
export function defaultStorePath(dataDir: string): string {
  return join(dataDir, "countersign.db");
}

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** How long a writer waits for another connection's write lock (SQLite busy timeout). Default 5 s. */
  readonly busyTimeoutMs?: number;
}

/** A SqlDatabase over one node:sqlite connection, with a prepared-statement cache. */
export function sqliteDatabase(db: DatabaseSync): SqlDatabase {
  const cache = new Map<string, StatementSync>();
  const prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  const params = (values: readonly SqlValue[] | undefined) => (values ?? []) as SqlValue[];
  return {
    async run(sql, values) {
      return { changes: Number(prepare(sql).run(...params(values)).changes) };
    },
    async all<Row>(sql: string, values?: readonly SqlValue[]) {
      return prepare(sql).all(...params(values)) as Row[];
    },
    async first<Row>(sql: string, values?: readonly SqlValue[]) {
      return prepare(sql).get(...params(values)) as Row | undefined;
    },
    async batch(statements: readonly SqlStatement[]) {
      // Synchronous calls: nothing else on this connection can interleave inside the transaction.
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const statement of statements) prepare(statement.sql).run(...params(statement.params));
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
  };
}

export class SqliteStore extends SqlStore {
  readonly #connection: DatabaseSync;

  constructor(connection: DatabaseSync, options: SqlStoreOptions = {}) {
    super(sqliteDatabase(connection), options);
    this.#connection = connection;
  }

  close(): void {
    if (this.#connection.isOpen) this.#connection.close();
  }
}

/** Opens (creating when missing) the store at `path`, or in memory for `:memory:`, and migrates it. */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const connection = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5_000 });
  try {
    // SQLite-only tuning stays here, out of the SQL shared with D1. WAL lets readers run during a
    // write; synchronous=NORMAL is durable across application crashes in WAL mode (sqlite.org/wal.html).
    if (path !== ":memory:") {
      connection.exec("PRAGMA journal_mode = WAL");
      connection.exec("PRAGMA synchronous = NORMAL");
    }
    const store = new SqliteStore(connection, options);
    await store.migrate();
    return store;
  } catch (error) {
    connection.close();
    throw error;
  }
}
