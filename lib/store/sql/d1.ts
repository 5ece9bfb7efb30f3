// Cloudflare D1 as a SqlDatabase. Typed structurally (the D1 client API: prepare/bind/run/all/first/
// batch) so lib needs no import from @cloudflare/workers-types.
import type { SqlDatabase, SqlStatement, SqlValue } from "./database.ts";

export interface D1PreparedStatementLike {
  bind(...values: unknown[]): D1PreparedStatementLike;
  run(): Promise<{ readonly meta: { readonly changes: number } }>;
  all<Row>(): Promise<{ readonly results: Row[] }>;
  first<Row>(): Promise<Row | null>;
}

export interface D1DatabaseLike {
  prepare(sql: string): D1PreparedStatementLike;
  batch(statements: D1PreparedStatementLike[]): Promise<unknown[]>;
}

export function d1Database(db: D1DatabaseLike): SqlDatabase {
  const statement = (sql: string, params: readonly SqlValue[] = []) => db.prepare(sql).bind(...params);
  return {
    async run(sql, params) {
      const result = await statement(sql, params).run();
      return { changes: result.meta.changes };
    },
    async all<Row>(sql: string, params?: readonly SqlValue[]) {
      return (await statement(sql, params).all<Row>()).results;
    },
    async first<Row>(sql: string, params?: readonly SqlValue[]) {
      return (await statement(sql, params).first<Row>()) ?? undefined;
    },
    // D1 runs a batch as one transaction (D1 client API, "batch()").
    async batch(statements: readonly SqlStatement[]) {
      await db.batch(statements.map((s) => statement(s.sql, s.params)));
    },
  };
}
