// Verifies a Notary Project signature the way notation-go's verifier does (notaryproject/specifications,
// trust-store-trust-policy.md "Signature Verification"; notation-go verifier.go `processSignature`):
// integrity (integrity.ts), then under the applicable trust policy statement authenticity against the
// `ca` or `signingAuthority` stores, trusted identities, expiry, and the authentic timestamp: an RFC 3161
// timestamp checked against the `tsa` stores (notary.x509), or `authenticSigningTime`
// (notary.x509.signingAuthority). Each step is enforced, logged or skipped as the level says.
// Revocation (OCSP/CRL) is not checked: notation passes it offline for certificates that name no
// responder, which is what Countersign and `notation cert generate-test` issue.
import { fromBase64, fromBase64Url } from "../../encoding.ts";
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { sha256Hex } from "../../oci/digest.ts";
import type { SignatureAlgorithm } from "../../signing/signer.ts";
import { notaryAlgorithmFor } from "../public-key.ts";
import { TimestampVerificationError, verifyTimestampToken } from "../timestamp/token.ts";
import { Rejection, reject, type Verdict, verdictOf } from "../verdict.ts";
import type { NotaryCertificate } from "./certificate.ts";
import { validateCodeSigningChain, validateValidity } from "./chain.ts";
import { NotaryHeader, SigningSchemeX509 } from "./envelope.ts";
import {
  checkEnvelopeBlob,
  checkManifest,
  checkProtectedHeader,
  checkTargetArtifact,
  checkThumbprintAnnotation,
  describeKey,
  parseChain,
  parseEnvelope,
  type SigningScheme,
  verifyJws,
} from "./integrity.ts";
import { certificateThumbprints } from "./thumbprint.ts";
import type { ValidationType } from "./trust-policy.ts";
import { checkTrustedIdentities, type ResolvedTrust, resolvedDefaultTrust } from "./trust-resolution.ts";
import { createTrustStore, findTrustAnchor, type TrustAnchorInput } from "./trust-store.ts";

export interface VerifyNotaryOptions {
  /** The signature manifest (bytes as fetched, or parsed). */
  readonly manifest: ImageManifest | Uint8Array;
  /** The blob of its single layer. */
  readonly envelope: Uint8Array;
  /** The artifact the signature must be for. */
  readonly subject: Descriptor;
  /** Trusted certificates (DER or PEM): a `ca` store under a strict policy trusting any identity. */
  readonly trustStore: readonly TrustAnchorInput[];
  /** TSA roots beside `trustStore` (a `tsa` store): the signature must then carry a trusted timestamp. */
  readonly tsaTrustStore?: readonly TrustAnchorInput[];
  /** The trust policy statement that applies, resolved (trust-resolution.ts); replaces the two above. */
  readonly trust?: ResolvedTrust;
  /** Verification time; default now. */
  readonly now?: Date;
}

export interface NotaryVerified {
  readonly ok: true;
  readonly format: "notary";
  readonly algorithm: SignatureAlgorithm;
  readonly signingScheme: SigningScheme;
  /** `signingTime`, or `authenticSigningTime` under notary.x509.signingAuthority. */
  readonly signingTime: Date;
  readonly expiry?: Date;
  readonly signingAgent?: string;
  /** SHA-256 thumbprints of the x5c chain, leaf first. */
  readonly certificateChain: readonly string[];
  /** Thumbprint of the chain certificate found in the trust store. */
  readonly trustAnchor: string;
  readonly signer: string;
  /** The trusted RFC 3161 time, when the timestamp was verified. */
  readonly timestamp?: Date;
  /** Failures the policy's level logs instead of enforcing (`<code>: <reason>`). */
  readonly warnings: readonly string[];
  /** The trust policy statement applied; `skipped` when its level is skip. */
  readonly policy: string;
  readonly skipped?: true;
}

export function verifyNotarySignature(options: VerifyNotaryOptions): Promise<Verdict<NotaryVerified>> {
  return verdictOf("notary", async () => {
    const now = options.now ?? new Date();
    const trust = options.trust ?? resolvedDefaultTrust(options.trustStore, options.tsaTrustStore);
    if (trust.enforcement.integrity === "skip") return skipped(trust.name);
    const manifest = checkManifest(options.manifest, options.subject);
    await checkEnvelopeBlob(manifest, options.envelope);
    const jws = parseEnvelope(options.envelope);
    const { header, scheme, signingTime } = checkProtectedHeader(jws.protected);
    const chain = parseChain(jws.header.x5c);
    const leaf = chain[0]!;
    const algorithm = header.alg as SignatureAlgorithm;
    if (notaryAlgorithmFor(leaf.publicKey) !== algorithm) {
      reject("key", `alg ${algorithm} does not match the signing certificate's key (${describeKey(leaf)})`);
    }
    const payload = await verifyJws(jws, leaf, algorithm);
    checkTargetArtifact(payload, options.subject);
    await validateCodeSigningChain(chain);
    const thumbprints = await certificateThumbprints(chain.map((certificate) => certificate.der));
    checkThumbprintAnnotation(manifest, thumbprints);

    const warnings: string[] = [];
    const step = async (type: ValidationType, body: () => unknown): Promise<void> => {
      const action = trust.enforcement[type];
      if (action === "skip") return;
      try {
        await body();
      } catch (error) {
        if (action === "log" && error instanceof Rejection) warnings.push(`${error.code}: ${error.message}`);
        else throw error;
      }
    };
    let anchor: NotaryCertificate | undefined;
    await step("authenticity", () => {
      anchor = authenticate(trust, scheme, chain);
      checkTrustedIdentities(trust, leaf);
    });
    const expiry = header[NotaryHeader.Expiry];
    await step("expiry", () => {
      // notation-go verifyExpiry: expired unless now is before the expiry.
      if (expiry && !(now < expiry)) reject("expired", `the signature expired at ${expiry.toISOString()}`);
    });
    let timestamp: Date | undefined;
    await step("authenticTimestamp", async () => {
      if (scheme === SigningSchemeX509) {
        timestamp = await checkAuthenticTimestamp(trust, chain, fromBase64Url(jws.signature), jws, now);
      } else {
        validateValidity(chain, signingTime, "when the signature was produced");
      }
    });
    const signingAgent = jws.header[NotaryHeader.SigningAgent];
    return {
      ok: true,
      format: "notary",
      algorithm,
      signingScheme: scheme,
      signingTime,
      ...(expiry ? { expiry } : {}),
      ...(signingAgent !== undefined ? { signingAgent } : {}),
      certificateChain: thumbprints,
      trustAnchor: anchor ? await sha256Hex(anchor.der) : "",
      signer: leaf.subjectName,
      ...(timestamp && { timestamp }),
      warnings,
      policy: trust.name,
    } satisfies NotaryVerified;
  });
}

function skipped(policy: string): NotaryVerified {
  return {
    ok: true,
    format: "notary",
    algorithm: "ES256",
    signingScheme: SigningSchemeX509,
    signingTime: new Date(0),
    certificateChain: [],
    trustAnchor: "",
    signer: "",
    warnings: [],
    policy,
    skipped: true,
  };
}

/** notation-go verifyAuthenticity: a certificate of the chain is one of the scheme's trust store type. */
function authenticate(trust: ResolvedTrust, scheme: SigningScheme, chain: readonly NotaryCertificate[]) {
  const type = scheme === SigningSchemeX509 ? "ca" : "signingAuthority";
  if (trust.missing[type]) reject("untrusted", trust.missing[type]);
  if (trust.stores[type].length === 0) {
    reject(
      "untrusted",
      `no trusted certificates of type ${type} in trust policy "${trust.name}" (${scheme})`,
    );
  }
  const anchor = findTrustAnchor(createTrustStore(trust.stores[type]), chain);
  if (!anchor) {
    reject(
      "untrusted",
      `no certificate of the chain (leaf "${chain[0]!.subjectName}") is in the ${type} trust store`,
    );
  }
  return anchor;
}

/**
 * notation-go `verifyTimestamp`: without a `tsa` store (or with verifyTimestamp afterCertExpiry while
 * the chain is still valid) the chain must be valid now; otherwise the RFC 3161 token over the signature
 * must verify against the `tsa` roots, and the timestamp, widened by its accuracy, must lie within every
 * certificate's validity: then the signature outlives its certificate.
 */
async function checkAuthenticTimestamp(
  trust: ResolvedTrust,
  chain: readonly NotaryCertificate[],
  signature: Uint8Array,
  jws: { readonly header: Readonly<Record<string, unknown>> },
  now: Date,
): Promise<Date | undefined> {
  const expired = chain.some((certificate) => now > certificate.notAfter);
  const perform = trust.timestampRequired && !(trust.verifyTimestamp === "afterCertExpiry" && !expired);
  if (!perform) {
    validateValidity(chain, now, "now");
    return undefined;
  }
  const encoded = jws.header[NotaryHeader.TimestampSignature];
  if (typeof encoded !== "string" || encoded === "") {
    reject("timestamp", "no timestamp countersignature was found in the signature envelope");
  }
  if (trust.missing.tsa) reject("timestamp", trust.missing.tsa);
  if (trust.stores.tsa.length === 0) reject("timestamp", "no trusted TSA certificate found in trust store");
  let token: Uint8Array;
  try {
    token = fromBase64(encoded);
  } catch (error) {
    reject("timestamp", "io.cncf.notary.timestampSignature is not base64", { cause: error });
  }
  let verified: Awaited<ReturnType<typeof verifyTimestampToken>>;
  try {
    verified = await verifyTimestampToken(token, {
      data: signature,
      authorities: [{ roots: createTrustStore(trust.stores.tsa).anchors.map((c) => c.der), name: "tsa" }],
      requireSigningCertificateV2: true,
    });
  } catch (error) {
    if (error instanceof TimestampVerificationError) {
      reject("timestamp", `the timestamp countersignature does not verify: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const lower = new Date(verified.genTime.getTime() - verified.accuracyMs);
  const upper = new Date(verified.genTime.getTime() + verified.accuracyMs);
  for (const certificate of chain) {
    if (lower < certificate.notBefore) {
      reject(
        "expired",
        `the timestamp (${verified.genTime.toISOString()}) can be before certificate "${certificate.subjectName}" became valid at ${certificate.notBefore.toISOString()}`,
      );
    }
    if (upper > certificate.notAfter) {
      reject(
        "expired",
        `the timestamp (${verified.genTime.toISOString()}) can be after certificate "${certificate.subjectName}" expired at ${certificate.notAfter.toISOString()}`,
      );
    }
  }
  return verified.genTime;
}
