// The signer on Workers: an AWS KMS key through the SDK's browser build (fetch and WebCrypto only),
// or a local PKCS#8 key held in a Worker secret. No key is ever generated here: an isolate-local key
// would differ between isolates and vanish with them, so nothing signed with it could be trusted.
import type { KMSClientConfig } from "@aws-sdk/client-kms";
import type { Config } from "../../lib/config/schema.ts";
import { parseKmsKeyUri } from "../../lib/signing/key-uri.ts";
import { KmsSigner } from "../../lib/signing/kms.ts";
import { LocalSigner } from "../../lib/signing/local.ts";
import type { Signer } from "../../lib/signing/signer.ts";
import type { CloudflareEnv } from "./bindings.ts";
import { WorkerSetupError } from "./worker-config.ts";

export const SIGNING_KEY_BINDING = "COUNTERSIGN_SIGNING_KEY";

export async function openWorkerSigner(config: Config, env: CloudflareEnv): Promise<Signer> {
  const key = config.signer.key;
  if (key !== undefined) return KmsSigner.open(key, { clientConfig: kmsClientConfig(key, env) });
  const pem = env[SIGNING_KEY_BINDING];
  if (typeof pem !== "string" || pem.trim() === "")
    throw new WorkerSetupError(
      `no signing key: set signer.key to an awskms:// URI in COUNTERSIGN_CONFIG, or put a PKCS#8 PEM in the ${SIGNING_KEY_BINDING} secret (wrangler secret put ${SIGNING_KEY_BINDING} < key.pem)`,
    );
  return LocalSigner.fromPem(pem);
}

/** The SDK's browser build reads no environment: hand it what the Node build would find there. */
function kmsClientConfig(uri: string, env: CloudflareEnv): KMSClientConfig {
  const text = (name: string) => {
    const value = env[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const accessKeyId = text("AWS_ACCESS_KEY_ID");
  const secretAccessKey = text("AWS_SECRET_ACCESS_KEY");
  if (accessKeyId === undefined || secretAccessKey === undefined)
    throw new WorkerSetupError(
      "signer.key is an awskms:// URI: set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets (wrangler secret put)",
    );
  const region = text("AWS_REGION");
  if (region === undefined && parseKmsKeyUri(uri).region === undefined)
    throw new WorkerSetupError("set AWS_REGION (a var or secret), or name the KMS key by its ARN");
  const sessionToken = text("AWS_SESSION_TOKEN");
  const endpoint = text("AWS_ENDPOINT_URL_KMS");
  return {
    ...(region !== undefined && { region }),
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken !== undefined && { sessionToken }) },
    // An endpoint in the key URI still wins (lib/signing/kms.ts createKmsClient).
    ...(endpoint !== undefined && { endpoint }),
  };
}
