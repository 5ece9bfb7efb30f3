// A separate thread with its own SQLite connection, racing other threads for the same signature
// claims: in-process tests interleave only at awaits, this is true concurrency on one database file.
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore } from "../../../functions/node/sqlite-store.ts";
import type { SignatureKey } from "../../../lib/store/store.ts";

interface ClaimWorkerData {
  readonly path: string;
  readonly owner: string;
  readonly keys: readonly SignatureKey[];
  /** Int32Array[0]: 0 until the main thread says go. */
  readonly start: SharedArrayBuffer;
}

const data = workerData as ClaimWorkerData;
const store = await openSqliteStore(data.path, { busyTimeoutMs: 10_000 });
parentPort!.postMessage({ ready: true });
Atomics.wait(new Int32Array(data.start), 0, 0);
const results: string[] = [];
for (const key of data.keys) results.push(await store.claimSignature(key, data.owner, 60_000));
store.close();
parentPort!.postMessage({ results });
