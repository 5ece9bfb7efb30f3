import { describe, expect, it } from "vitest";
import { isRetryableKmsError, KmsAttemptsFailed, kmsErrorCode, withKmsRetry } from "./kms-retry.ts";

const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const socketError = (code: string) => Object.assign(new Error("socket hang up"), { code });

describe("KMS error classification", () => {
  it.each([
    [awsError("ThrottlingException", 400), true, "ThrottlingException"],
    [awsError("KMSInternalException", 500), true, "KMSInternalException"],
    [awsError("DependencyTimeoutException", 503), true, "DependencyTimeoutException"],
    [awsError("SomethingNew", 502), true, "SomethingNew"],
    [socketError("ECONNRESET"), true, "NetworkError"],
    [new TypeError("fetch failed"), true, "NetworkError"],
    // workerd's fetch: a plain Error, no code, no status.
    [new Error("Network connection lost."), true, "NetworkError"],
    [awsError("Error", 500), true, "Error"],
    [awsError("NotFoundException", 400), false, "NotFoundException"],
    [awsError("AccessDeniedException", 400), false, "AccessDeniedException"],
    [awsError("UnrecognizedClientException", 400), false, "UnrecognizedClientException"],
    [
      Object.assign(new Error("no creds"), { name: "CredentialsProviderError" }),
      false,
      "CredentialsProviderError",
    ],
  ])("%s → retryable %s", (error, retryable, code) => {
    expect(isRetryableKmsError(error)).toBe(retryable);
    expect(kmsErrorCode(error)).toBe(code);
  });
});

describe("withKmsRetry", () => {
  const policy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2, attemptTimeoutMs: 1_000 };

  it("retries transient failures and reports the attempts it took", async () => {
    const failures = [awsError("ThrottlingException", 400), socketError("ECONNRESET")];
    const outcome = await withKmsRetry(async () => {
      const failure = failures.shift();
      if (failure) throw failure;
      return "signed";
    }, policy);
    expect(outcome).toEqual({ result: "signed", attempts: 3 });
  });

  it("stops at once on a permanent failure", async () => {
    let calls = 0;
    const failure = await withKmsRetry(async () => {
      calls++;
      throw awsError("NotFoundException", 400);
    }, policy).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(failure).toBeInstanceOf(KmsAttemptsFailed);
    expect(failure).toMatchObject({ attempts: 1, cause: { name: "NotFoundException" } });
  });

  it("gives up after maxAttempts", async () => {
    let calls = 0;
    const failure = await withKmsRetry(async () => {
      calls++;
      throw awsError("ThrottlingException", 400);
    }, policy).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(failure).toMatchObject({ attempts: 4 });
  });

  it("gives each attempt its own time limit", async () => {
    let calls = 0;
    const outcome = await withKmsRetry(
      (signal) =>
        new Promise<string>((resolve, reject) => {
          calls++;
          if (calls === 1) signal.addEventListener("abort", () => reject(signal.reason));
          else resolve("second attempt");
        }),
      { ...policy, attemptTimeoutMs: 20 },
    );
    expect(outcome).toEqual({ result: "second attempt", attempts: 2 });
  });
});
