// A Signer backed by an AWS KMS asymmetric key. The public key and key metadata are fetched once
// (GetPublicKey carries the key ARN, KeySpec, KeyUsage and SigningAlgorithms, so DescribeKey would
// only add a round trip) and every signature is exactly one successful Sign call.
// Runs on the SDK's Node and browser builds alike (workerd): no node: imports here.
import { GetPublicKeyCommand, KMSClient, type KMSClientConfig, SignCommand } from "@aws-sdk/client-kms";
import { asBufferSource } from "../encoding.ts";
import { algorithmParameters, signingAlgorithm } from "./algorithm.ts";
import { ecdsaDerToRaw } from "./ecdsa-signature.ts";
import { KmsError, UnsupportedKeyError } from "./errors.ts";
import { type KmsKeyUri, parseKmsKeyUri } from "./key-uri.ts";
import { kmsSigningAlgorithm, selectKmsAlgorithm } from "./kms-key-spec.ts";
import {
  defaultKmsRetryPolicy,
  isRetryableKmsError,
  KmsAttemptsFailed,
  type KmsRetryPolicy,
  kmsErrorCode,
  withKmsRetry,
} from "./kms-retry.ts";
import { publicKeyInfo } from "./public-key.ts";
import type { PublicKeyInfo, SignatureAlgorithm, SignatureEncoding, Signer, SignOptions } from "./signer.ts";

/** KMS `Sign` takes at most 4096 bytes as a RAW message; longer ones are sent as their digest. */
export const kmsRawMessageLimit = 4096;

export interface KmsSignerOptions {
  /**
   * SDK configuration (region, credentials, ...). Whatever is left out comes from the SDK's standard
   * chain (AWS_REGION, AWS_ENDPOINT_URL_KMS, profiles, ...). An endpoint in the key URI wins; an ARN's
   * region is used when no region is given here, since only that region holds the key.
   */
  readonly clientConfig?: KMSClientConfig;
  /** A ready client instead; leave its `maxAttempts` at 1, or its retries multiply ours. */
  readonly client?: KMSClient;
  /** Another PSS hash for an RSA key; by default the one Notary pairs with the key size. */
  readonly algorithm?: SignatureAlgorithm;
  readonly retry?: Partial<KmsRetryPolicy>;
}

export class KmsSigner implements Signer {
  /** The key ARN, whichever form the URI used. */
  readonly keyId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly keyUri: KmsKeyUri;
  readonly #client: KMSClient;
  readonly #publicKey: PublicKeyInfo;
  readonly #offered: readonly string[];
  readonly #retry: KmsRetryPolicy;

  private constructor(uri: KmsKeyUri, client: KMSClient, retry: KmsRetryPolicy, key: OpenedKey) {
    this.keyUri = uri;
    this.#client = client;
    this.#retry = retry;
    this.keyId = key.arn;
    this.algorithm = key.algorithm;
    this.#publicKey = key.publicKey;
    this.#offered = key.signingAlgorithms;
  }

  /** Resolves the key (one GetPublicKey call) and checks it can sign for our formats. */
  static async open(uri: string | KmsKeyUri, options: KmsSignerOptions = {}): Promise<KmsSigner> {
    const keyUri = typeof uri === "string" ? parseKmsKeyUri(uri) : uri;
    const client = options.client ?? createKmsClient(keyUri, options.clientConfig);
    const retry = { ...defaultKmsRetryPolicy, ...options.retry };
    const out = await callKms("GetPublicKey", keyUri.keyId, retry, (abortSignal) =>
      client.send(new GetPublicKeyCommand({ KeyId: keyUri.keyId }), { abortSignal }),
    );
    const arn = out.KeyId ?? keyUri.keyId;
    if (!out.PublicKey) throw new UnsupportedKeyError(`KMS key ${arn} returned no public key`);
    const algorithm = selectKmsAlgorithm(
      { arn, keySpec: out.KeySpec, keyUsage: out.KeyUsage, signingAlgorithms: out.SigningAlgorithms },
      options.algorithm,
    );
    const publicKey = await publicKeyInfo(out.PublicKey, algorithm);
    const signingAlgorithms = out.SigningAlgorithms ?? [];
    return new KmsSigner(keyUri, client, retry, { arn, algorithm, publicKey, signingAlgorithms });
  }

  async publicKey(): Promise<PublicKeyInfo> {
    return this.#publicKey;
  }

  /** One Sign call; an RSA key picks its SigningAlgorithm per call (PSS, or PKCS#1 v1.5 when asked). */
  async sign(data: Uint8Array, encoding: SignatureEncoding, options?: SignOptions): Promise<Uint8Array> {
    const algorithm = signingAlgorithm(this.algorithm, options);
    const kmsAlgorithm = kmsSigningAlgorithm(algorithm);
    if (!this.#offered.includes(kmsAlgorithm)) {
      // Checked before calling: KMS would refuse it, after a round trip, as InvalidKeyUsageException.
      throw new UnsupportedKeyError(
        `KMS key ${this.keyId} does not offer ${kmsAlgorithm} (it offers ${this.#offered.join(", ") || "nothing"})`,
      );
    }
    const parameters = algorithmParameters(algorithm);
    const raw = data.length >= 1 && data.length <= kmsRawMessageLimit;
    const message = raw
      ? data
      : new Uint8Array(await crypto.subtle.digest(parameters.hash, asBufferSource(data)));
    const command = new SignCommand({
      KeyId: this.keyId,
      Message: message,
      MessageType: raw ? "RAW" : "DIGEST",
      SigningAlgorithm: kmsAlgorithm,
    });
    const out = await callKms("Sign", this.keyId, this.#retry, (abortSignal) =>
      this.#client.send(command, { abortSignal }),
    );
    if (!out.Signature)
      throw new KmsError(`KMS Sign for ${this.keyId} returned no signature`, details("Sign", this.keyId));
    // KMS returns ECDSA signatures DER-encoded (KMS API reference, Sign: "Signature").
    if (parameters.kind === "ECDSA" && encoding === "raw") {
      return ecdsaDerToRaw(out.Signature, parameters.coordinateLength);
    }
    return new Uint8Array(out.Signature);
  }
}

interface OpenedKey {
  readonly arn: string;
  readonly algorithm: SignatureAlgorithm;
  readonly publicKey: PublicKeyInfo;
  /** GetPublicKey's SigningAlgorithms: every RSA key spec offers PSS and PKCS#1 v1.5 at three hashes. */
  readonly signingAlgorithms: readonly string[];
}

/** A KMS client honouring the SDK's standard configuration, with its own retries off (see kms-retry.ts). */
export function createKmsClient(uri: KmsKeyUri, config: KMSClientConfig = {}): KMSClient {
  return new KMSClient({
    ...(uri.region && config.region === undefined ? { region: uri.region } : {}),
    ...config,
    ...(uri.endpoint ? { endpoint: uri.endpoint } : {}),
    maxAttempts: 1,
  });
}

async function callKms<T>(
  operation: string,
  key: string,
  retry: KmsRetryPolicy,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return (await withKmsRetry(call, retry)).result;
  } catch (failure) {
    if (!(failure instanceof KmsAttemptsFailed)) throw failure;
    const error = failure.cause;
    const code = kmsErrorCode(error);
    const retryable = isRetryableKmsError(error);
    const tries = retryable ? ` after ${failure.attempts} attempts` : "";
    throw new KmsError(
      `KMS ${operation} failed for ${key}${tries}: ${describeKmsFailure(code, error)}`,
      {
        ...details(operation, key),
        code,
        retryable,
        attempts: failure.attempts,
      },
      { cause: error },
    );
  }
}

function details(operation: string, key: string) {
  return { operation, key, code: "EmptyResponse", retryable: false, attempts: 1 };
}

/** AWS messages for these errors name keys, ARNs and actions only: safe to repeat. */
const safeMessages = new Set([
  "NotFoundException",
  "DisabledException",
  "KMSInvalidStateException",
  "InvalidKeyUsageException",
  "UnsupportedOperationException",
  "ValidationException",
  "KeyUnavailableException",
  "AccessDeniedException",
  "ThrottlingException",
  "CredentialsProviderError",
]);

const hints: Readonly<Record<string, string>> = {
  NotFoundException: "no such key or alias in this account and region",
  AccessDeniedException: "the caller lacks kms:GetPublicKey or kms:Sign on this key",
  UnrecognizedClientException: "the AWS credentials are not valid",
  InvalidSignatureException: "the AWS credentials or the clock are wrong",
  ExpiredTokenException: "the AWS session credentials have expired",
  CredentialsProviderError: "no AWS credentials found",
  NetworkError: "could not reach the KMS endpoint",
};

/**
 * `code: message (hint)`, where the message is repeated only for errors known to carry no secret:
 * signature-mismatch answers, for one, echo the canonical request, session token included.
 */
function describeKmsFailure(code: string, error: unknown): string {
  const message = error instanceof Error && safeMessages.has(code) ? error.message : "";
  const hint = hints[code];
  return [code, message && `: ${message}`, hint && ` (${hint})`].join("");
}
