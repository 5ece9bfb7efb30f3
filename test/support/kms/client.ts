// Test environment for talking to the KMS emulator with the real AWS SDK: dummy credentials whose
// secret parts are recognisable (tests assert they never leak), and no route to real AWS (no IMDS,
// no shared config files).
import { KMSClient } from "@aws-sdk/client-kms";
import { vi } from "vitest";
import type { KmsEmulator } from "./emulator.ts";

export const dummyCredentials = {
  accessKeyId: "AKIDCOUNTERSIGNTEST",
  secretAccessKey: "secret-access-key-that-must-never-leak",
  sessionToken: "session-token-that-must-never-leak",
} as const;

/** Points the SDK's default chain at dummy credentials and away from anything outside the test. */
export function stubAwsEnvironment(region = "us-east-1"): void {
  vi.stubEnv("AWS_ACCESS_KEY_ID", dummyCredentials.accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", dummyCredentials.secretAccessKey);
  vi.stubEnv("AWS_SESSION_TOKEN", dummyCredentials.sessionToken);
  vi.stubEnv("AWS_REGION", region);
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/countersign-test/config");
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/countersign-test/credentials");
  vi.stubEnv("AWS_PROFILE", undefined);
  vi.stubEnv("AWS_ENDPOINT_URL", undefined);
  vi.stubEnv("AWS_ENDPOINT_URL_KMS", undefined);
}

/** A plain SDK client on the emulator, for arranging and checking state from outside the code under test. */
export function emulatorClient(emulator: KmsEmulator): KMSClient {
  return new KMSClient({
    endpoint: emulator.endpoint,
    region: emulator.region,
    credentials: dummyCredentials,
    maxAttempts: 1,
  });
}
