// The integrity half of Notary verification (notation-go `verifyIntegrity`, notation-core-go jws
// envelope validation): the manifest and its one JWS layer, the protected header as the signing scheme
// requires it, the x5c chain, the signature with the leaf's key, the payload's target and the manifest's
// thumbprint annotation. Every failure here is enforced whatever the trust policy's level.
import { flattenedVerify, errors as joseErrors } from "jose";
import { fromBase64, fromBase64Url, fromUtf8 } from "../../encoding.ts";
import type { Descriptor, ImageManifest } from "../../oci/descriptor.ts";
import { digestOf } from "../../oci/digest.ts";
import { safeParseImageManifest } from "../../oci/manifest-schema.ts";
import { isSignatureAlgorithm } from "../../signing/algorithm.ts";
import { importPublicKey } from "../../signing/public-key.ts";
import type { SignatureAlgorithm } from "../../signing/signer.ts";
import { reject } from "../verdict.ts";
import { CertificateError, type NotaryCertificate, parseCertificate } from "./certificate.ts";
import {
  FlattenedJws,
  NotaryHeader,
  NotaryMediaType,
  NotaryPayload,
  ProtectedHeader,
  SigningSchemeAuthority,
  SigningSchemeX509,
} from "./envelope.ts";
import { ThumbprintAnnotation } from "./thumbprint.ts";

/** Critical headers this verifier understands (notation-core-go signature/jws `headerKeys`). */
const UNDERSTOOD_CRITICAL = new Set<string>([
  NotaryHeader.SigningScheme,
  NotaryHeader.Expiry,
  NotaryHeader.AuthenticSigningTime,
]);

export type SigningScheme = typeof SigningSchemeX509 | typeof SigningSchemeAuthority;

export interface CheckedHeader {
  readonly header: ProtectedHeader;
  readonly scheme: SigningScheme;
  /** `signingTime` (notary.x509) or `authenticSigningTime` (notary.x509.signingAuthority). */
  readonly signingTime: Date;
}

export function checkManifest(input: ImageManifest | Uint8Array, subject: Descriptor): ImageManifest {
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

export async function checkEnvelopeBlob(manifest: ImageManifest, envelope: Uint8Array): Promise<void> {
  const layer = manifest.layers[0]!;
  const digest = await digestOf(envelope);
  if (digest !== layer.digest || envelope.length !== layer.size) {
    reject(
      "malformed",
      `the envelope (${digest}, ${envelope.length} bytes) is not the manifest's layer ${layer.digest}`,
    );
  }
}

export function parseEnvelope(bytes: Uint8Array): FlattenedJws {
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

export function checkProtectedHeader(encoded: string): CheckedHeader {
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
  const signingTime = header[NotaryHeader.SigningTime];
  const authentic = header[NotaryHeader.AuthenticSigningTime];
  // notation-core-go jws validateProtectedHeaders: each scheme has its own time header, never the other.
  if (scheme === SigningSchemeX509) {
    if (authentic)
      reject("malformed", `${NotaryHeader.AuthenticSigningTime} must not be present for ${scheme}`);
    if (!signingTime) reject("malformed", `${NotaryHeader.SigningTime} is missing`);
  } else if (scheme === SigningSchemeAuthority) {
    if (signingTime) reject("malformed", `${NotaryHeader.SigningTime} must not be present for ${scheme}`);
    if (!authentic) reject("malformed", `${NotaryHeader.AuthenticSigningTime} is missing (${scheme})`);
  } else {
    reject("unsupported", `signing scheme ${scheme} is not supported`);
  }
  const time = (signingTime ?? authentic)!;
  const expiry = header[NotaryHeader.Expiry];
  if (expiry && expiry <= time) reject("malformed", "the expiry is not after the signing time");
  checkCritical(header, scheme);
  return { header, scheme, signingTime: time };
}

function checkCritical(header: ProtectedHeader, scheme: SigningScheme): void {
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
  if (scheme === SigningSchemeAuthority && !crit.includes(NotaryHeader.AuthenticSigningTime)) {
    reject("malformed", `${NotaryHeader.AuthenticSigningTime} must be marked critical`);
  }
}

export function parseChain(x5c: readonly string[]): NotaryCertificate[] {
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

export function describeKey(certificate: NotaryCertificate): string {
  const key = certificate.publicKey;
  return key.type === "ec" ? `EC ${key.curve}` : `RSA ${key.modulusBits}`;
}

export async function verifyJws(
  jws: FlattenedJws,
  leaf: NotaryCertificate,
  algorithm: SignatureAlgorithm,
): Promise<unknown> {
  const key = await importPublicKey(leaf.publicKey.spki, algorithm);
  let payload: Uint8Array;
  try {
    ({ payload } = await flattenedVerify(jws, key, {
      algorithms: [algorithm],
      crit: {
        [NotaryHeader.SigningScheme]: true,
        [NotaryHeader.Expiry]: true,
        [NotaryHeader.AuthenticSigningTime]: true,
      },
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

export function checkTargetArtifact(payload: unknown, subject: Descriptor): void {
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

export function checkThumbprintAnnotation(manifest: ImageManifest, thumbprints: readonly string[]): void {
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
