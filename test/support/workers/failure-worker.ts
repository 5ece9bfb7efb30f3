// A Worker that meets unreachable services inside workerd and reports how lib/ judged each failure:
// the registry client and the KMS signer are pointed at a loopback port that the test makes refuse or
// reset connections. workerd's fetch fails as `Error: Network connection lost.` (no Node error codes,
// not a TypeError), so this is where "a connection failure is transient on every runtime" is checked.

import { describeFailure, isTransient } from "../../../lib/attach/failure.ts";
import { RegistryClient } from "../../../lib/oci/remote/registry.ts";
import { KmsSigner } from "../../../lib/signing/kms.ts";

export interface FailureReport {
  /** The error lib/ threw, by class name. */
  readonly name: string;
  /** Its message (free of secrets by construction, as every lib error). */
  readonly detail: string;
  /** What the attach job would do: true retries, false is a dead letter. */
  readonly transient: boolean;
  /** The runtime's own error underneath, as the platform reported it. */
  readonly cause: string;
}

async function report(run: () => Promise<unknown>): Promise<FailureReport> {
  try {
    await run();
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return {
      name: error instanceof Error ? error.name : typeof error,
      detail: describeFailure(error),
      transient: isTransient(error),
      cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
    };
  }
  throw new Error("the call succeeded: nothing to report");
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const target = url.searchParams.get("target");
    if (target === null) return new Response(null, { status: 204 }); // readiness probe
    const kind = url.searchParams.get("kind");
    const result =
      kind === "kms"
        ? await report(() =>
            KmsSigner.open(`awskms://${target}/alias/unreachable`, {
              clientConfig: {
                region: "us-east-1",
                credentials: { accessKeyId: "AKIDWORKERD", secretAccessKey: "workerd-secret" },
              },
              retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 5_000 },
            }),
          )
        : await report(() =>
            new RegistryClient(target, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 } })
              .repository("team/app")
              .fetchManifest("v1"),
          );
    return Response.json(result);
  },
};
