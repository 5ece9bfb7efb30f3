// One capability probe per registry, not per process: the service remembers in its store what a
// registry client learnt (its referrers API; whether it honours If-Match), and a new process (a Lambda
// container, a Workers isolate, a restart) starts from that instead of probing again. Best effort: a
// store that fails here costs a probe, never a job.
import type { RegistryClient } from "../oci/remote/registry.ts";
import type { Store } from "../store/store.ts";

/** Registries change (an upgrade adds the referrers API): what is remembered is asked again after this. */
export const REGISTRY_FACTS_TTL_MS = 24 * 60 * 60 * 1000;

/** Before a job: what the store knows, where the client knows nothing yet. Returns what it knew. */
export async function recallRegistryFacts(store: Store, client: RegistryClient): Promise<string> {
  const known = client.learnt();
  if (Object.keys(known).length > 0) return JSON.stringify(known);
  const remembered = await store.registryFacts(client.registry).catch(() => undefined);
  if (remembered !== undefined) client.recall(remembered);
  return JSON.stringify(client.learnt());
}

/** After a job: what the client learnt, when it differs from what the job started with. */
export async function rememberRegistryFacts(
  store: Store,
  client: RegistryClient,
  before: string,
): Promise<void> {
  const learnt = client.learnt();
  if (JSON.stringify(learnt) === before || Object.keys(learnt).length === 0) return;
  await store.rememberRegistryFacts(client.registry, learnt, REGISTRY_FACTS_TTL_MS).catch(() => undefined);
}
