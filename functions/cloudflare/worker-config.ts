// Configuration on Workers: the same document and schema as `countersign serve`, read from the
// COUNTERSIGN_CONFIG var or secret; `{ env: NAME }` secrets come from the Worker's secrets
// (`wrangler secret put NAME`). There is no file system, so `{ file: … }` secrets and file paths in
// `signer` are refused with a message that says what to do instead.
import { ConfigError, parseConfig } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/schema.ts";
import type { SecretResolver } from "../../lib/config/secret.ts";
import { isKmsKeyUri } from "../../lib/signing/key-uri.ts";
import type { CloudflareEnv } from "./bindings.ts";

export const CONFIG_BINDING = "COUNTERSIGN_CONFIG";

/** Thrown for a setup the Worker cannot run with; the message names the binding, never a value. */
export class WorkerSetupError extends Error {
  override readonly name = "WorkerSetupError";
}

/** Secrets are string bindings (`wrangler secret put`, or `[vars]` for non-secrets). */
export function workerSecretResolver(env: CloudflareEnv): SecretResolver {
  return {
    env(name) {
      const value = env[name];
      return typeof value === "string" ? value : undefined;
    },
    readFile() {
      // lib/config reports `code` in parentheses after the path: make it the instruction.
      const error = new Error("no file system on Workers") as Error & { code: string };
      error.code = 'not on Workers: use { "env": "NAME" } and `wrangler secret put NAME`';
      return Promise.reject(error);
    },
  };
}

/** Parses COUNTERSIGN_CONFIG (absent: the embedded defaults, as with no file on Node). */
export async function loadWorkerConfig(env: CloudflareEnv): Promise<Config> {
  const raw = env[CONFIG_BINDING];
  let document: unknown;
  if (typeof raw === "string") {
    try {
      document = JSON.parse(raw);
    } catch {
      // No cause: JSON.parse messages quote the text near the fault, which may be a literal secret.
      throw new ConfigError(CONFIG_BINDING, [{ path: "(root)", message: "not valid JSON" }]);
    }
  } else {
    document = raw;
  }
  const config = await parseConfig(document, workerSecretResolver(env), { source: CONFIG_BINDING });
  const { key, certificateChain } = config.signer;
  if (key !== undefined && !isKmsKeyUri(key))
    throw new ConfigError(CONFIG_BINDING, [
      {
        path: "signer.key",
        message:
          "key files cannot be read on Workers: omit signer.key and put the PKCS#8 PEM in the COUNTERSIGN_SIGNING_KEY secret, or use an awskms:// URI",
      },
    ]);
  if (certificateChain !== undefined)
    throw new ConfigError(CONFIG_BINDING, [
      {
        path: "signer.certificateChain",
        message:
          "files cannot be read on Workers: omit it and put the PEM chain in the COUNTERSIGN_CERTIFICATE_CHAIN secret",
      },
    ]);
  return config;
}
