// Asks a timestamping authority for an RFC 3161 timestamp over HTTP (RFC 3161 §3.4:
// `application/timestamp-query` in, `application/timestamp-reply` out), as notation's tspclient-go does:
// a random nonce, certReq set, the answer checked (status, nonce, imprint) and verified against the
// configured TSA roots before it is used. Every failure is a TimestampAuthorityError, which the attach
// job retries: a signature is never written without the timestamp it was asked to carry.
import { asBufferSource, bytesEqual } from "../../encoding.ts";
import type { HashName } from "../../signing/algorithm.ts";
import { encodeTimestampRequest, parseTimestampResponse, TimestampFormatError } from "./messages.ts";
import { TimestampVerificationError, type VerifiedTimestamp, verifyTimestampToken } from "./token.ts";

export class TimestampAuthorityError extends Error {
  override readonly name = "TimestampAuthorityError";
  /** A TSA that is down, slow or answering nonsense may answer next time: the job retries. */
  readonly retryable = true;
}

export interface Timestamped {
  /** The TimeStampResp as received (Sigstore bundles and cosign's annotation keep the response). */
  readonly response: Uint8Array;
  /** The TimeStampToken inside it (Notary's `io.cncf.notary.timestampSignature`). */
  readonly token: Uint8Array;
  readonly verified: VerifiedTimestamp;
}

/** Timestamps signature values; `hash` is the imprint algorithm the format prescribes. */
export interface Timestamper {
  readonly url: string;
  timestamp(data: Uint8Array, hash: HashName): Promise<Timestamped>;
}

export interface HttpTimestamperOptions {
  readonly url: string;
  /** The TSA's root certificates (DER): its answer must verify against them. */
  readonly roots: readonly Uint8Array[];
  readonly fetch?: typeof fetch;
  /** Default 30 s, sigstore-go's and cosign's TSA timeout. */
  readonly timeoutMs?: number;
}

const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export function httpTimestamper(options: HttpTimestamperOptions): Timestamper {
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`timestamp URL ${options.url} must be http or https`);
  }
  if (options.roots.length === 0) throw new TypeError("a timestamp URL needs the TSA's root certificate");
  const doFetch = options.fetch ?? fetch;
  return {
    url: url.href,
    async timestamp(data, hash) {
      const hashedMessage = new Uint8Array(await crypto.subtle.digest(hash, asBufferSource(data)));
      const nonce = randomNonce();
      const request = encodeTimestampRequest({ hash, hashedMessage, nonce, certReq: true });
      const body = await post(doFetch, url.href, request, options.timeoutMs ?? 30_000);
      try {
        const response = parseTimestampResponse(body);
        if (response.status !== 0 && response.status !== 1) {
          throw new TimestampAuthorityError(
            `the TSA refused the request (PKIStatus ${response.status}${response.statusText ? `: ${response.statusText}` : ""})`,
          );
        }
        if (!response.token) throw new TimestampAuthorityError("the TSA granted no token");
        const verified = await verifyTimestampToken(response.token, {
          data,
          authorities: [{ roots: options.roots, name: url.host }],
        });
        if (verified.info.nonce !== nonce)
          throw new TimestampAuthorityError("the TSA's answer carries another nonce");
        if (verified.info.hash !== hash || !bytesEqual(verified.info.hashedMessage, hashedMessage)) {
          throw new TimestampAuthorityError("the TSA timestamped something else than the signature");
        }
        return { response: body, token: response.token, verified };
      } catch (error) {
        if (error instanceof TimestampAuthorityError) throw error;
        if (error instanceof TimestampFormatError || error instanceof TimestampVerificationError) {
          throw new TimestampAuthorityError(`the TSA's answer is not usable: ${error.message}`, {
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

async function post(doFetch: typeof fetch, url: string, request: Uint8Array<ArrayBuffer>, timeoutMs: number) {
  let response: Response;
  try {
    response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/timestamp-query", accept: "application/timestamp-reply" },
      body: request,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new TimestampAuthorityError(`the TSA at ${url} did not answer: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new TimestampAuthorityError(`the TSA at ${url} answered HTTP ${response.status}`);
  }
  const type = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/timestamp-reply") {
    await response.body?.cancel();
    throw new TimestampAuthorityError(
      `the TSA at ${url} answered ${type ?? "no content type"}, not a timestamp reply`,
    );
  }
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > MAX_RESPONSE_BYTES) throw new TimestampAuthorityError("the TSA's answer is too large");
  return body;
}

/** tspclient-go's nonce: uniform in [0, 2^159), so it is a positive INTEGER of at most 20 octets. */
function randomNonce(): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  bytes[0]! &= 0x7f;
  return BigInt(`0x${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`);
}
