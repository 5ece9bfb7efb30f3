// A test Worker exposing the Cloudflare Store over HTTP, so the store conformance suite (which runs in
// Node) drives the real thing inside workerd: CloudflareStore over local D1 and the SubjectCoordinator
// Durable Object, exactly as functions/cloudflare.ts wires them. POST /<method> with the arguments as a
// JSON array; the answer is { value } or { error: { name, message } }.

import type { CloudflareEnv } from "../../functions/cloudflare/bindings.ts";
import { CloudflareStore } from "../../functions/cloudflare/cloudflare-store.ts";
import { d1Database } from "../../lib/store/sql/d1.ts";
import { SqlStore } from "../../lib/store/sql/store.ts";

export { SubjectCoordinator } from "../../functions/cloudflare/subject-coordinator.ts";

const methods = [
  "createJob",
  "getJob",
  "updateJob",
  "listJobs",
  "claimSignature",
  "completeSignature",
  "releaseSignature",
  "getSignature",
  "listSignatures",
  "acquireLock",
  "acquireLockWaiting",
  "releaseLock",
  "seenDelivery",
  "registryFacts",
  "rememberRegistryFacts",
] as const;

type Method = (typeof methods)[number];

let opening: Promise<CloudflareStore> | undefined;

function open(env: CloudflareEnv): Promise<CloudflareStore> {
  opening ??= (async () => {
    const jobs = new SqlStore(d1Database(env.DB));
    await jobs.migrate();
    return new CloudflareStore({ jobs, subjects: env.SUBJECTS });
  })();
  return opening;
}

export default {
  async fetch(request: Request, env: CloudflareEnv): Promise<Response> {
    const method = new URL(request.url).pathname.slice(1) as Method;
    if (request.method !== "POST" || !methods.includes(method)) return new Response(null, { status: 404 });
    const args = (await request.json()) as unknown[];
    const store = await open(env);
    try {
      const call = store[method] as (...a: unknown[]) => Promise<unknown>;
      const value = await call.apply(store, args);
      return Response.json(value === undefined ? {} : { value });
    } catch (error) {
      const { name, message } = error as Error;
      return Response.json({ error: { name, message } });
    }
  },
};
