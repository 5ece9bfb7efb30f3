// Verifies a Notary Project signature the way notation does for signing scheme `notary.x509`
// (notaryproject/specifications, trust-store-trust-policy.md "Signature Verification"): integrity,
// authenticity against a trust store, expiry and certificate validity, and that it signs the subject.
import { flattenedVerify, errors as joseErrors } from "jose";
import { fromBase64, fromBase64Url, fromUtf8 } from "../../encoding.ts";
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { digestOf, sha256Hex } from "../../oci/digest.ts";
import { safeParseImageManifest } from "../../oci/manifest-schema.ts";
import { isSignatureAlgorithm } from "../../signing/algorithm.ts";
import { importPublicKey } from "../../signing/public-key.ts";
import type { SignatureAlgorithm } from "../../signing/signer.ts";
import { notaryAlgorithmFor } from "../public-key.ts";
import { reject, type Verdict, verdictOf } from "../verdict.ts";
import { CertificateError, type NotaryCertificate, parseCertificate } from "./certificate.ts";
import { validateCodeSigningChain, validateValidity } from "./chain.ts";
import {
  FlattenedJws,
  NotaryHeader,
  NotaryMediaType,
  NotaryPayload,
  ProtectedHeader,
  SigningSchemeX509,
} from "./envelope.ts";
import { certificateThumbprints, ThumbprintAnnotation } from "./thumbprint.ts";
import { createTrustStore, findTrustAnchor, type TrustAnchorInput } from "./trust-store.ts";

export interface VerifyNotaryOptions {
  /** The signature manifest (bytes as fetched, or parsed). */
  readonly manifest: ImageManifest | Uint8Array;
  /** The blob of its single layer. */
  readonly envelope: Uint8Array;
  /** The artifact the signature must be for. */
  readonly subject: Descriptor;
  /** Trusted certificates (DER or PEM). */
  readonly trustStore: readonly TrustAnchorInput[];
  /** Verification time; default now. */
  readonly now?: Date;
}

export interface NotaryVerified {
  readonly ok: true;
  readonly format: "notary";
  readonly algorithm: SignatureAlgorithm;
  readonly signingScheme: typeof SigningSchemeX509;
  readonly signingTime: Date;
  readonly expiry?: Date;
  readonly signingAgent?: string;
  /** SHA-256 thumbprints of the x5c chain, leaf first. */
  readonly certificateChain: readonly string[];
  /** Thumbprint of the chain certificate found in the trust store. */
  readonly trustAnchor: string;
  readonly signer: string;
}

/** Critical headers this verifier understands (notation-core-go signature/jws `headerKeys`). */
const UNDERSTOOD_CRITICAL = new Set<string>([NotaryHeader.SigningScheme, NotaryHeader.Expiry]);

export function verifyNotarySignature(options: VerifyNotaryOptions): Promise<Verdict<NotaryVerified>> {
  return verdictOf("notary", async () => {
    const now = options.now ?? new Date();
    const manifest = checkManifest(options.manifest, options.subject);
    await checkEnvelopeBlob(manifest, options.envelope);
    const jws = parseEnvelope(options.envelope);
    const header = checkProtectedHeader(jws.protected);
    const chain = parseChain(jws.header.x5c);
    const leaf = chain[0]!;
    const algorithm = header.alg as SignatureAlgorithm;
    if (notaryAlgorithmFor(leaf.publicKey) !== algorithm) {
      reject("key", `alg ${algorithm} does not match the signing certificate's key (${describeKey(leaf)})`);
    }
    const payload = await verifyJws(jws, leaf, algorithm);
    checkTargetArtifact(payload, options.subject);
    await validateCodeSigningChain(chain);
    const anchor = findTrustAnchor(createTrustStore(options.trustStore), chain);
    if (!anchor)
      reject("untrusted", `no certificate of the chain (leaf "${leaf.subjectName}") is in the trust store`);
    const thumbprints = await certificateThumbprints(chain.map((certificate) => certificate.der));
    checkThumbprintAnnotation(manifest, thumbprints);
    const signingTime = header[NotaryHeader.SigningTime]!;
    const expiry = header[NotaryHeader.Expiry];
    if (expiry && now > expiry) reject("expired", `the signature expired at ${expiry.toISOString()}`);
    // notary.x509 without a trusted timestamp: the chain must be valid both when signed and now.
    validateValidity(chain, signingTime, "at signing time");
    validateValidity(chain, now, "now");
    const signingAgent = jws.header[NotaryHeader.SigningAgent];
    return {
      ok: true,
      format: "notary",
      algorithm,
      signingScheme: SigningSchemeX509,
      signingTime,
      ...(expiry ? { expiry } : {}),
      ...(signingAgent !== undefined ? { signingAgent } : {}),
      certificateChain: thumbprints,
      trustAnchor: await sha256Hex(anchor.der),
      signer: leaf.subjectName,
    } satisfies NotaryVerified;
  });
}

function checkManifest(input: ImageManifest | Uint8Array, subject: Descriptor): ImageManifest {
  const manifest = safeParseImageManifest(input);
  if (!manifest) reject("malformed", "the signature manifest is not an OCI image manifest");
  const type = manifest.artifactType ?? manifest.config.mediaType;
  if (type !== NotaryMediaType.Signature) {
    reject("malformed", `not a Notary Project signature manifest (artifact type ${type})`);
  }
  if (manifest.layers.length !== 1) {
    reject(
      "malformed",
      `a Notary signature manifest has exactly one layer, this one has ${manifest.layers.length}`,
    );
  }
  const layer = manifest.layers[0]!;
  if (layer.mediaType !== NotaryMediaType.JwsEnvelope) {
    reject(
      "malformed",
      `the signature layer is ${layer.mediaType}, not a JWS envelope (${NotaryMediaType.JwsEnvelope})`,
    );
  }
  if (!manifest.subject) reject("malformed", "the signature manifest has no subject");
  if (manifest.subject.digest !== subject.digest) {
    reject(
      "subject",
      `the signature manifest's subject is ${manifest.subject.digest}, not ${subject.digest}`,
    );
  }
  return manifest;
}

async function checkEnvelopeBlob(manifest: ImageManifest, envelope: Uint8Array): Promise<void> {
  const layer = manifest.layers[0]!;
  const digest = await digestOf(envelope);
  if (digest !== layer.digest || envelope.length !== layer.size) {
    reject(
      "malformed",
      `the envelope (${digest}, ${envelope.length} bytes) is not the manifest's layer ${layer.digest}`,
    );
  }
}

function parseEnvelope(bytes: Uint8Array): FlattenedJws {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch (error) {
    reject("malformed", "the signature layer is not a JWS envelope (not JSON)", { cause: error });
  }
  const parsed = FlattenedJws.safeParse(json);
  if (!parsed.success) {
    reject("malformed", `not a JWS JSON envelope: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  }
  return parsed.data;
}

function checkProtectedHeader(encoded: string): ProtectedHeader {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(fromBase64Url(encoded)));
  } catch (error) {
    reject("malformed", "the JWS protected header is not base64url JSON", { cause: error });
  }
  const parsed = ProtectedHeader.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    reject("malformed", `invalid JWS protected header: ${issue?.path.join(".")} ${issue?.message}`);
  }
  const header = parsed.data;
  // notation-core-go signature/jws/types.go validMethods: never RS*, never HS*, never none.
  if (!isSignatureAlgorithm(header.alg)) reject("unsupported", `JWS alg ${header.alg} is not allowed`);
  if (header.cty !== NotaryMediaType.Payload)
    reject("unsupported", `JWS cty ${header.cty} is not a Notary payload`);
  const scheme = header[NotaryHeader.SigningScheme];
  if (scheme !== SigningSchemeX509) reject("unsupported", `signing scheme ${scheme} is not supported`);
  if (header[NotaryHeader.AuthenticSigningTime]) {
    reject("malformed", `${NotaryHeader.AuthenticSigningTime} must not be present for ${SigningSchemeX509}`);
  }
  const signingTime = header[NotaryHeader.SigningTime];
  if (!signingTime) reject("malformed", `${NotaryHeader.SigningTime} is missing`);
  const expiry = header[NotaryHeader.Expiry];
  if (expiry && expiry <= signingTime) reject("malformed", "the expiry is not after the signing time");
  checkCritical(header);
  return header;
}

function checkCritical(header: ProtectedHeader): void {
  const crit = header.crit;
  if (crit.length === 0) reject("malformed", "crit must not be empty (RFC 7515 §4.1.11)");
  if (new Set(crit).size !== crit.length) reject("malformed", "crit lists a header twice");
  for (const name of crit) {
    if (!UNDERSTOOD_CRITICAL.has(name)) reject("unsupported", `critical header ${name} is not understood`);
    if (!(name in header)) reject("malformed", `critical header ${name} is not present`);
  }
  if (!crit.includes(NotaryHeader.SigningScheme)) {
    reject("malformed", `${NotaryHeader.SigningScheme} must be marked critical`);
  }
  if (header[NotaryHeader.Expiry] && !crit.includes(NotaryHeader.Expiry)) {
    reject("malformed", `${NotaryHeader.Expiry} must be marked critical`);
  }
}

function parseChain(x5c: readonly string[]): NotaryCertificate[] {
  return x5c.map((encoded, index) => {
    try {
      return parseCertificate(fromBase64(encoded));
    } catch (error) {
      if (error instanceof CertificateError || error instanceof SyntaxError) {
        reject("certificate", `x5c[${index}] is not a base64 DER certificate`, { cause: error });
      }
      throw error;
    }
  });
}

function describeKey(certificate: NotaryCertificate): string {
  const key = certificate.publicKey;
  return key.type === "ec" ? `EC ${key.curve}` : `RSA ${key.modulusBits}`;
}

async function verifyJws(
  jws: FlattenedJws,
  leaf: NotaryCertificate,
  algorithm: SignatureAlgorithm,
): Promise<unknown> {
  const key = await importPublicKey(leaf.publicKey.spki, algorithm);
  let payload: Uint8Array;
  try {
    ({ payload } = await flattenedVerify(jws, key, {
      algorithms: [algorithm],
      crit: { [NotaryHeader.SigningScheme]: true, [NotaryHeader.Expiry]: true },
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      reject("signature", "the JWS signature does not verify with the signing certificate's key", {
        cause: error,
      });
    }
    if (error instanceof joseErrors.JOSEError)
      reject("malformed", `invalid JWS: ${error.message}`, { cause: error });
    throw error;
  }
  try {
    return JSON.parse(fromUtf8(payload));
  } catch (error) {
    reject("malformed", "the JWS payload is not JSON", { cause: error });
  }
}

function checkTargetArtifact(payload: unknown, subject: Descriptor): void {
  const parsed = NotaryPayload.safeParse(payload);
  if (!parsed.success) reject("malformed", "the JWS payload is not a Notary payload with targetArtifact");
  const target = parsed.data.targetArtifact;
  if (target.digest !== subject.digest) {
    reject("subject", `the signature is for ${target.digest}, not ${subject.digest}`);
  }
  if (target.size !== subject.size || target.mediaType !== subject.mediaType) {
    reject(
      "subject",
      `targetArtifact (${target.mediaType}, ${target.size} bytes) differs from the subject ` +
        `(${subject.mediaType}, ${subject.size} bytes)`,
    );
  }
}

function checkThumbprintAnnotation(manifest: ImageManifest, thumbprints: readonly string[]): void {
  const value = manifest.annotations?.[ThumbprintAnnotation];
  if (value === undefined) reject("thumbprint", `the manifest has no ${ThumbprintAnnotation} annotation`);
  let listed: unknown;
  try {
    listed = JSON.parse(value);
  } catch (error) {
    reject("thumbprint", `${ThumbprintAnnotation} is not a JSON array`, { cause: error });
  }
  const matches =
    Array.isArray(listed) &&
    listed.length === thumbprints.length &&
    listed.every((entry, i) => typeof entry === "string" && entry.toLowerCase() === thumbprints[i]);
  if (!matches)
    reject("thumbprint", `${ThumbprintAnnotation} does not list the SHA-256 of the x5c certificates`);
}
