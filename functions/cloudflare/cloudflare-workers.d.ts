// The one piece of the `cloudflare:workers` module this adapter uses, declared structurally: the
// project's tsconfig keeps the DOM lib, which the global @cloudflare/workers-types would collide with.
declare module "cloudflare:workers" {
  export interface DurableObjectStateLike {
    readonly storage: import("./subject-ledger.ts").LedgerStorage;
    blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  }

  /** Extending it is what makes a Durable Object's public methods callable over RPC. */
  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: DurableObjectStateLike;
    protected readonly env: Env;
    constructor(ctx: DurableObjectStateLike, env: Env);
  }
}
