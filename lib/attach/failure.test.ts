import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  DigestMismatchError,
  RegistryConnectionError,
  RegistryError,
  RegistryProtocolError,
} from "../oci/errors.ts";
import { KmsError } from "../signing/errors.ts";
import {
  JobExistsError,
  JobNotFoundError,
  LockLostError,
  LockTimeoutError,
  StoreError,
} from "../store/errors.ts";
import {
  DEFAULT_BACKOFF,
  describeFailure,
  isTransient,
  retryDelayMs,
  SignatureBusyError,
} from "./failure.ts";

function registryError(status: number, code?: string): RegistryError {
  return new RegistryError({
    operation: "manifest.put",
    method: "PUT",
    url: "http://127.0.0.1:5000/v2/team/app/manifests/v1",
    status,
    ...(code !== undefined && { errors: [{ code }] }),
  });
}

function kmsError(retryable: boolean): KmsError {
  return new KmsError("KMS Sign failed", {
    operation: "Sign",
    key: "alias/countersign",
    code: retryable ? "ThrottlingException" : "AccessDeniedException",
    retryable,
    attempts: 3,
  });
}

describe("isTransient", () => {
  it.each([
    ["429 Too Many Requests", registryError(429)],
    ["500", registryError(500)],
    ["502", registryError(502)],
    ["503", registryError(503)],
    ["504", registryError(504)],
    [
      "an upload session the registry closed (404 BLOB_UPLOAD_UNKNOWN)",
      registryError(404, "BLOB_UPLOAD_UNKNOWN"),
    ],
    [
      "no answer at all",
      new RegistryConnectionError("manifest.get", "GET", "http://127.0.0.1/", false, null),
    ],
    ["a timeout", new RegistryConnectionError("manifest.get", "GET", "http://127.0.0.1/", true, null)],
    ["a token service answering 503", new AuthenticationError("token request answered 503", 503)],
    ["a throttled KMS", kmsError(true)],
    ["a busy claim", new SignatureBusyError("being written")],
    ["a lock wait that timed out", new LockTimeoutError("subject", 60_000)],
    ["a lease lost mid-write", new LockLostError("subject")],
    ["a store backend failure", new StoreError("database is locked")],
  ])("retries %s", (_name, error) => {
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ["401", registryError(401)],
    ["403", registryError(403)],
    ["404 (manifest unknown)", registryError(404)],
    ["400 (manifest invalid)", registryError(400)],
    ["405", registryError(405)],
    ["412 after the conflict budget", registryError(412)],
    ["501 Not Implemented (answers the same forever)", registryError(501)],
    ["505 HTTP Version Not Supported", registryError(505)],
    ["a token service refusing the credentials", new AuthenticationError("token request answered 401", 401)],
    ["a bad challenge", new AuthenticationError("Bearer challenge without a realm")],
    ["bytes that do not match their digest", new DigestMismatchError("manifest", "sha256:a", "sha256:b")],
    ["a body that is not a manifest", new RegistryProtocolError("manifest is not JSON")],
    ["a KMS key that may not sign", kmsError(false)],
    ["a job that does not exist", new JobNotFoundError("j1")],
    ["a job that exists already", new JobExistsError("j1")],
    ["a programming error", new TypeError("x is undefined")],
    ["a thrown string", "boom"],
  ])("gives up on %s", (_name, error) => {
    expect(isTransient(error)).toBe(false);
  });
});

describe("retryDelayMs", () => {
  const backoff = { initialMs: 100, maxMs: 1_000, factor: 2 };

  it("doubles from initialMs, with equal jitter: between half the ceiling and the ceiling", () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, backoff, () => 0))).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, backoff, () => 0.999_999))).toEqual([99, 199, 399, 799]);
  });

  it("is capped at maxMs however many attempts", () => {
    expect(retryDelayMs(5, backoff, () => 0.999_999)).toBe(999);
    expect(retryDelayMs(60, backoff, () => 0.999_999)).toBe(999);
    expect(retryDelayMs(1_000, backoff, () => 0)).toBe(500);
  });

  it("spreads jobs that failed together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, backoff)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });

  it("defaults to 1 s doubling to 60 s", () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 1_000, maxMs: 60_000, factor: 2 });
    expect(retryDelayMs(1, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(10, undefined, () => 0)).toBe(30_000);
  });

  it("honours another factor", () => {
    expect(retryDelayMs(3, { initialMs: 10, maxMs: 10_000, factor: 3 }, () => 0)).toBe(45);
  });
});

describe("describeFailure", () => {
  it("names the error class and keeps the message, which carries no query string", () => {
    const error = new RegistryError({
      operation: "manifest.put",
      method: "PUT",
      url: "http://127.0.0.1:5000/v2/team/app/blobs/uploads/abc?_state=SECRET-STATE",
      status: 503,
    });
    const text = describeFailure(error);
    expect(text).toMatch(/^RegistryError: manifest\.put: PUT http:\/\/127\.0\.0\.1:5000\/v2\/team\/app/);
    expect(text).not.toContain("SECRET-STATE");
    expect(describeFailure("plain")).toBe("plain");
  });
});
