// A bench Worker: GET /?op=<bare|notary|cosign|bundle>&n=<count> runs the operation n times inside one
// request and answers the elapsed milliseconds. In production workerd, Date.now() only advances at
// I/O (a Spectre mitigation), so the loop is fenced on both sides by an awaited timer event; with no
// I/O inside the loop, the fenced wall time of one request is its CPU time.
import { type SigningOperationName, SigningOperationNames, signingOperations } from "./edge-signing.ts";

let prepared: ReturnType<typeof signingOperations> | undefined;

const fence = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const op = url.searchParams.get("op") as SigningOperationName;
    const n = Number(url.searchParams.get("n") ?? "200");
    if (!SigningOperationNames.includes(op) || !Number.isSafeInteger(n) || n < 0)
      return new Response("usage: /?op=bare|notary|cosign|bundle&n=200", { status: 400 });
    prepared ??= signingOperations();
    const run = (await prepared)[op];
    for (let i = 0; i < 20; i++) await run(); // warm-up: JIT, key caches
    await fence();
    const started = Date.now();
    for (let i = 0; i < n; i++) await run();
    await fence();
    return Response.json({ op, n, elapsedMs: Date.now() - started });
  },
};
