// The Durable Object behind per-subject serialization and idempotency records: one instance per
// subject (`idFromName(subjectName(...))`), so every writer of a subject's fallback index, `.sig` tag
// and signature records meets in one single-threaded place. The logic lives in SubjectLedger.
import { DurableObject, type DurableObjectStateLike } from "cloudflare:workers";
import type {
  ClaimResult,
  SignatureKey,
  SignatureRecord,
  SignatureResult,
  SubjectQuery,
} from "../../lib/store/store.ts";
import { type SubjectCoordinatorApi, SubjectLedger } from "./subject-ledger.ts";

export class SubjectCoordinator extends DurableObject implements SubjectCoordinatorApi {
  #ledger: SubjectLedger | undefined;

  constructor(ctx: DurableObjectStateLike, env: unknown) {
    super(ctx, env);
    // No event is delivered before the state is loaded (Durable Objects, "blockConcurrencyWhile").
    void ctx.blockConcurrencyWhile(async () => {
      this.#ledger = await SubjectLedger.open(ctx.storage);
    });
  }

  get #state(): SubjectLedger {
    if (this.#ledger === undefined) throw new Error("subject ledger used before it was loaded");
    return this.#ledger;
  }

  claimSignature(key: SignatureKey, owner: string, leaseMs: number): Promise<ClaimResult> {
    return this.#state.claimSignature(key, owner, leaseMs);
  }

  completeSignature(key: SignatureKey, result: SignatureResult): Promise<SignatureRecord> {
    return this.#state.completeSignature(key, result);
  }

  releaseSignature(key: SignatureKey, owner: string): Promise<boolean> {
    return this.#state.releaseSignature(key, owner);
  }

  getSignature(key: SignatureKey): Promise<SignatureRecord | undefined> {
    return this.#state.getSignature(key);
  }

  listSignatures(subject: SubjectQuery): Promise<SignatureRecord[]> {
    return this.#state.listSignatures(subject);
  }

  acquireLock(lockKey: string, owner: string, leaseMs: number, waitMs: number): Promise<boolean> {
    return this.#state.acquireLock(lockKey, owner, leaseMs, waitMs);
  }

  releaseLock(lockKey: string, owner: string): Promise<boolean> {
    return this.#state.releaseLock(lockKey, owner);
  }
}
