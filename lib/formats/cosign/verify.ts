// Verifies a cosign simple-signing signature with a public key, as `cosign verify --key` does for the
// classic `.sig` form: the signature over the payload bytes, then the claims (type, manifest digest).
// cosign loads a PEM key with `signature.LoadVerifier(key, crypto.SHA256)` (cosign pkg/signature/keys.go
// `VerifierForKeyRef`; sigstore/sigstore pkg/signature/verifier.go `LoadVerifierWithOpts`): an RSA key
// gets an `RSAPKCS1v15Verifier` with SHA-256 whatever its size, and nothing on that path asks for PSS.

import { asBufferSource, fromBase64, fromUtf8 } from "../../encoding.ts";
import { algorithmParameters, curveAlgorithm } from "../../signing/algorithm.ts";
import { ecdsaDerToRaw } from "../../signing/ecdsa-signature.ts";
import { type PublicKeyInput, parseVerificationKey, type SpkiKey } from "../public-key.ts";
import { rsaPssAlgorithmOf, rsaPssRefusal } from "../rsa-pss-signature.ts";
import type { SigstoreTrustedRoot } from "../sigstore/trusted-root.ts";
import { parseTimestampResponse, TimestampFormatError } from "../timestamp/messages.ts";
import {
  type TimestampAuthority,
  TimestampVerificationError,
  verifyTimestampToken,
} from "../timestamp/token.ts";
import { reject, type Verdict, verdictOf } from "../verdict.ts";
import { CosignSignatureType, SimpleSigningPayload } from "./payload.ts";
import { verifyRekorBundle } from "./rekor-bundle.ts";

/** What cosign verifies with a key: ECDSA, or for RSA keys `RS256` (RSASSA-PKCS1-v1_5, SHA-256) only. */
export type CosignAlgorithm = "ES256" | "ES384" | "ES512" | "RS256";

export interface VerifyCosignOptions {
  /** The layer blob, exactly as fetched. */
  readonly payload: Uint8Array;
  /** The layer annotation `dev.cosignproject.cosign/signature`. */
  readonly signatureBase64: string;
  readonly publicKey: PublicKeyInput;
  readonly subjectDigest: string;
  /** When given, `critical.identity.docker-reference` must equal it. */
  readonly dockerReference?: string;
  /** Pin one algorithm; by default every algorithm cosign or Countersign may have used with this key. */
  readonly algorithm?: CosignAlgorithm;
  /** The layer annotation `dev.sigstore.cosign/rfc3161timestamp`, if any. */
  readonly timestampAnnotation?: string;
  /** A trusted root's timestamping authorities: a present timestamp must verify against them. */
  readonly timestampAuthorities?: readonly TimestampAuthority[];
  /** cosign's `--use-signed-timestamps`: a timestamp present must verify, TSAs or not. */
  readonly requireTimestamp?: boolean;
  /** The layer annotation `dev.sigstore.cosign/bundle` (a Rekor entry), if any. */
  readonly rekorBundle?: string;
  /** A present Rekor entry must verify against this trusted root's logs. */
  readonly trustedRoot?: SigstoreTrustedRoot;
}

export interface CosignVerified {
  readonly ok: true;
  readonly format: "cosign";
  readonly algorithm: CosignAlgorithm;
  readonly dockerReference: string;
  readonly subjectDigest: string;
  /** The verified RFC 3161 time, when a timestamp was checked. */
  readonly timestamp?: Date;
  /** The log's integrated time, when a Rekor entry was checked. */
  readonly integratedTime?: Date;
}

export function verifyCosignSignature(options: VerifyCosignOptions): Promise<Verdict<CosignVerified>> {
  return verdictOf("cosign", async () => {
    const key = await parseVerificationKey(options.publicKey);
    let signature: Uint8Array;
    try {
      signature = fromBase64(options.signatureBase64);
    } catch (error) {
      reject("malformed", "the signature annotation is not base64", { cause: error });
    }
    const algorithm = await matchingAlgorithm(key, options.payload, signature, options.algorithm);
    if (!algorithm) {
      const pss = await rsaPssAlgorithmOf(key, options.payload, signature);
      if (pss) reject("unsupported", rsaPssRefusal(pss, "cosign"));
      reject("signature", "the signature does not verify over the payload with this key");
    }
    const claims = parseClaims(options.payload);
    if (claims.critical.type !== CosignSignatureType) {
      reject("malformed", `payload type is "${claims.critical.type}", not "${CosignSignatureType}"`);
    }
    const digest = claims.critical.image["docker-manifest-digest"];
    if (digest !== options.subjectDigest)
      reject("subject", `the signature is for ${digest}, not ${options.subjectDigest}`);
    const reference = claims.critical.identity["docker-reference"];
    if (options.dockerReference !== undefined && reference !== options.dockerReference) {
      reject("subject", `the signature names ${reference}, not ${options.dockerReference}`);
    }
    const timestamp = await checkTimestamp(options, signature);
    // cosign VerifyBundle: an entry is checked against the trusted root's logs; without a trusted root
    // there is nothing to check it with and, as cosign with --insecure-ignore-tlog, it is not looked at.
    const integratedTime =
      options.rekorBundle !== undefined && options.trustedRoot
        ? await verifyRekorBundle({
            annotation: options.rekorBundle,
            payload: options.payload,
            signatureBase64: options.signatureBase64,
            key,
            trustedRoot: options.trustedRoot,
          })
        : undefined;
    return {
      ok: true,
      format: "cosign",
      algorithm,
      dockerReference: reference,
      subjectDigest: digest,
      ...(timestamp && { timestamp }),
      ...(integratedTime && { integratedTime }),
    };
  });
}

/**
 * cosign `VerifyRFC3161Timestamp`: the annotation holds a TimeStampResp over the raw signature bytes,
 * checked against the trusted root's TSAs. cosign looks at it only with --use-signed-timestamps; here a
 * timestamp is also checked whenever TSAs are given (a present timestamp that does not verify fails).
 */
async function checkTimestamp(
  options: VerifyCosignOptions,
  signature: Uint8Array,
): Promise<Date | undefined> {
  const annotation = options.timestampAnnotation;
  const authorities = options.timestampAuthorities ?? [];
  // cosign's legacy path asks nothing of a layer without the annotation, even with
  // --use-signed-timestamps (VerifyRFC3161Timestamp answers nil, nil; a key needs no time): same here.
  if (annotation === undefined) return undefined;
  if (authorities.length === 0) {
    if (options.requireTimestamp)
      reject("timestamp", "no TSA root certificate(s) provided to verify the timestamp");
    return undefined;
  }
  let response: Uint8Array;
  try {
    const parsed = JSON.parse(annotation) as { SignedRFC3161Timestamp?: unknown };
    if (typeof parsed.SignedRFC3161Timestamp !== "string") throw new TypeError("no SignedRFC3161Timestamp");
    response = fromBase64(parsed.SignedRFC3161Timestamp);
  } catch (error) {
    reject("timestamp", 'the RFC 3161 timestamp annotation is not {"SignedRFC3161Timestamp": base64}', {
      cause: error,
    });
  }
  try {
    const { status, token } = parseTimestampResponse(response);
    if ((status !== 0 && status !== 1) || !token)
      reject("timestamp", `the timestamp response has status ${status}`);
    const verified = await verifyTimestampToken(token, { data: signature, authorities });
    return verified.genTime;
  } catch (error) {
    if (error instanceof TimestampVerificationError || error instanceof TimestampFormatError) {
      reject("timestamp", `the RFC 3161 timestamp does not verify: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function parseClaims(payload: Uint8Array): SimpleSigningPayload {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(payload));
  } catch (error) {
    reject("malformed", "the payload is not JSON", { cause: error });
  }
  const parsed = SimpleSigningPayload.safeParse(json);
  if (!parsed.success) reject("malformed", "the payload is not a simple-signing payload");
  return parsed.data;
}

function candidates(key: SpkiKey, pinned: CosignAlgorithm | undefined): CosignAlgorithm[] {
  if (pinned) return [pinned];
  if (key.type === "ec") {
    const own = ({ "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" } as const)[key.curve!];
    // cosign < 2.6 hashed with SHA-256 whatever the curve (sigstore/cosign#4050).
    return own === "ES256" ? [own] : [own, "ES256"];
  }
  return ["RS256"];
}

async function matchingAlgorithm(
  key: SpkiKey,
  payload: Uint8Array,
  signature: Uint8Array,
  pinned: CosignAlgorithm | undefined,
): Promise<CosignAlgorithm | undefined> {
  for (const algorithm of candidates(key, pinned)) {
    if (await verifiesAs(key, algorithm, payload, signature)) return algorithm;
  }
  return undefined;
}

/** Whether `signature` (DER for ECDSA, as cosign writes it) over `data` verifies with `key` as `algorithm`. */
export async function verifiesAs(
  key: SpkiKey,
  algorithm: CosignAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (algorithm === "RS256") {
    if (key.type !== "rsa") return false;
    return verifyWith(
      key,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      { name: "RSASSA-PKCS1-v1_5" },
      signature,
      data,
    );
  }
  if (key.type !== "ec") return false;
  const { hash } = algorithmParameters(algorithm);
  // The hash may differ from the curve's (ES256 over P-384 above); WebCrypto allows that pairing.
  const curve = algorithmParameters(curveAlgorithm(key.curve!));
  if (curve.kind !== "ECDSA") return false;
  let raw: Uint8Array;
  try {
    raw = ecdsaDerToRaw(signature, curve.coordinateLength);
  } catch {
    return false; // cosign signatures are DER; anything else does not verify
  }
  const params = { name: "ECDSA", namedCurve: key.curve! };
  return verifyWith(key, params, { name: "ECDSA", hash }, raw, data);
}

async function verifyWith(
  key: SpkiKey,
  importParams: RsaHashedImportParams | EcKeyImportParams,
  verifyParams: AlgorithmIdentifier | EcdsaParams,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  const cryptoKey = await crypto.subtle.importKey("spki", key.spki, importParams, false, ["verify"]);
  return crypto.subtle.verify(verifyParams, cryptoKey, asBufferSource(signature), asBufferSource(data));
}

/** True when `signatureBase64` is a signature by `key` over `payload` that cosign accepts. */
export async function cosignSignatureVerifies(
  key: SpkiKey,
  payload: Uint8Array,
  signatureBase64: string,
): Promise<boolean> {
  let signature: Uint8Array;
  try {
    signature = fromBase64(signatureBase64);
  } catch {
    return false;
  }
  return (await matchingAlgorithm(key, payload, signature, undefined)) !== undefined;
}
