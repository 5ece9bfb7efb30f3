// SqlStore on Cloudflare D1, run by workerd through wrangler's platform proxy: the same SQL as the
// Node store, proven on the engine that serves D1 locally (`wrangler dev`), not assumed compatible.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import { type D1DatabaseLike, d1Database } from "../../lib/store/sql/d1.ts";
import { SqlStore } from "../../lib/store/sql/store.ts";
import { describeStoreConformance } from "../support/store/conformance.ts";

describeStoreConformance("SqlStore on D1 (workerd, wrangler platform proxy)", async () => {
  process.env.WRANGLER_SEND_METRICS = "false";
  const dir = mkdtempSync(join(tmpdir(), "countersign-d1-"));
  const configPath = join(dir, "wrangler.toml");
  writeFileSync(
    configPath,
    [
      'name = "countersign-store-test"',
      'compatibility_date = "2026-11-01"',
      "[[d1_databases]]",
      'binding = "DB"',
      'database_name = "countersign"',
      'database_id = "00000000-0000-4000-8000-000000000000"',
      "",
    ].join("\n"),
  );
  const proxy = await getPlatformProxy<{ DB: D1DatabaseLike }>({
    configPath,
    persist: { path: join(dir, "state") },
  });
  const store = new SqlStore(d1Database(proxy.env.DB));
  await store.migrate();
  // A second client over the same database, as a second Worker isolate would have.
  const peer = new SqlStore(d1Database(proxy.env.DB));
  return {
    stores: [store, peer],
    close: async () => {
      await proxy.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
