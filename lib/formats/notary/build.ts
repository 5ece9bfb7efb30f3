// Builds a Notary Project signature: a JWS envelope (signature-envelope-jws.md) in flattened JSON
// serialization, laid out as notation writes it, plus the annotations of its signature manifest.

import { bytesEqual, toBase64, toBase64Url, utf8 } from "../../encoding.ts";
import type { Descriptor } from "../../oci/descriptor.ts";
import { algorithmParameters, isSignatureAlgorithm } from "../../signing/algorithm.ts";
import type { SignatureAlgorithm, Signer } from "../../signing/signer.ts";
import { SignatureBuildError } from "../errors.ts";
import { notaryAlgorithmFor } from "../public-key.ts";
import { assertSubjectDescriptor } from "../subject.ts";
import { rfc3339Seconds } from "../time.ts";
import type { Timestamper } from "../timestamp/client.ts";
import { CertificateError, certificatePublicKey } from "./certificate.ts";
import {
  DefaultSigningAgent,
  NotaryHeader,
  NotaryMediaType,
  SigningSchemeAuthority,
  SigningSchemeX509,
} from "./envelope.ts";
import { ThumbprintAnnotation, thumbprintAnnotation } from "./thumbprint.ts";

export interface BuildNotaryOptions {
  readonly subject: Descriptor;
  readonly signer: Signer;
  /** DER certificates, leaf first; the leaf must hold the signer's public key. */
  readonly certificateChain: readonly Uint8Array[];
  /** Default now; truncated to whole seconds. */
  readonly signingTime?: Date;
  readonly expiry?: Date;
  /** Default `Countersign/<version>`. */
  readonly signingAgent?: string;
  /** Timestamps the signature value into `io.cncf.notary.timestampSignature` (notary.x509 only). */
  readonly timestamper?: Timestamper;
  /**
   * Default notary.x509. notary.x509.signingAuthority states the time as `authenticSigningTime`, which
   * verifiers trust because the signer is a signing authority, so no timestamp is asked for.
   */
  readonly signingScheme?: typeof SigningSchemeX509 | typeof SigningSchemeAuthority;
}

export interface NotarySignature {
  readonly artifactType: typeof NotaryMediaType.Signature;
  /** The signing time: pass it as the manifest's `created` (its annotation already says so). */
  readonly created: Date;
  readonly layer: { readonly mediaType: typeof NotaryMediaType.JwsEnvelope; readonly bytes: Uint8Array };
  readonly annotations: {
    readonly [ThumbprintAnnotation]: string;
    readonly "org.opencontainers.image.created": string;
  };
}

export async function buildNotarySignature(options: BuildNotaryOptions): Promise<NotarySignature> {
  const { subject, signer, certificateChain } = options;
  assertSubjectDescriptor(subject);
  const algorithm = await checkSigner(signer, certificateChain);
  const signingTime = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
  const expiry = options.expiry && new Date(Math.floor(options.expiry.getTime() / 1000) * 1000);
  if (expiry && expiry <= signingTime) throw new SignatureBuildError("expiry must be after the signing time");

  const scheme = options.signingScheme ?? SigningSchemeX509;
  const authority = scheme === SigningSchemeAuthority;
  if (authority && options.timestamper) {
    // notation-core-go timestamps notary.x509 only; asking for a timestamp it would drop is an error here.
    throw new SignatureBuildError(`${scheme} signatures carry no RFC 3161 timestamp`);
  }
  // Keys in lexical order, as notation emits them (it marshals the header through a Go map); crit in
  // notation-core-go `getSignedAttributes` order: scheme, authenticSigningTime, expiry.
  const header: Record<string, unknown> = {
    alg: algorithm,
    crit: [
      NotaryHeader.SigningScheme,
      ...(authority ? [NotaryHeader.AuthenticSigningTime] : []),
      ...(expiry ? [NotaryHeader.Expiry] : []),
    ],
    cty: NotaryMediaType.Payload,
    ...(authority ? { [NotaryHeader.AuthenticSigningTime]: rfc3339Seconds(signingTime) } : {}),
    ...(expiry ? { [NotaryHeader.Expiry]: rfc3339Seconds(expiry) } : {}),
    [NotaryHeader.SigningScheme]: scheme,
    ...(authority ? {} : { [NotaryHeader.SigningTime]: rfc3339Seconds(signingTime) }),
  };
  const protectedHeader = toBase64Url(utf8(JSON.stringify(header)));
  const payload = toBase64Url(utf8(JSON.stringify({ targetArtifact: targetArtifact(subject) })));
  const signature = await signer.sign(utf8(`${protectedHeader}.${payload}`), "raw");
  checkSignatureLength(algorithm, signature);
  // notation-core-go jws `timestampJWS`: an RFC 3161 token over the signature value, hashed with the
  // signature algorithm's hash, for notary.x509 only; its []byte marshals as padded standard base64.
  const timestamp =
    options.timestamper && !authority
      ? await options.timestamper.timestamp(signature, algorithmParameters(algorithm).hash)
      : undefined;

  const envelope = {
    payload,
    protected: protectedHeader,
    // Field order of notation-core-go's jwsUnprotectedHeader: timestampSignature, x5c, signingAgent.
    header: {
      ...(timestamp ? { [NotaryHeader.TimestampSignature]: toBase64(timestamp.token) } : {}),
      x5c: certificateChain.map((der) => toBase64(der)),
      [NotaryHeader.SigningAgent]: options.signingAgent ?? DefaultSigningAgent,
    },
    signature: toBase64Url(signature),
  };
  return {
    artifactType: NotaryMediaType.Signature,
    created: signingTime,
    layer: { mediaType: NotaryMediaType.JwsEnvelope, bytes: utf8(JSON.stringify(envelope)) },
    annotations: {
      [ThumbprintAnnotation]: await thumbprintAnnotation(certificateChain),
      "org.opencontainers.image.created": rfc3339Seconds(signingTime),
    },
  };
}

/** notation's `envelope.SanitizeTargetArtifact`: mediaType, digest, size and annotations only. */
function targetArtifact(subject: Descriptor): Record<string, unknown> {
  return {
    ...(subject.annotations && Object.keys(subject.annotations).length > 0
      ? { annotations: subject.annotations }
      : {}),
    digest: subject.digest,
    mediaType: subject.mediaType,
    size: subject.size,
  };
}

async function checkSigner(signer: Signer, chain: readonly Uint8Array[]): Promise<SignatureAlgorithm> {
  const algorithm = signer.algorithm;
  if (!isSignatureAlgorithm(algorithm)) {
    throw new SignatureBuildError(`algorithm ${algorithm} is not allowed by the Notary Project`);
  }
  if (chain.length === 0) throw new SignatureBuildError("a Notary signature needs a certificate chain");
  let leafKey: ReturnType<typeof certificatePublicKey>;
  try {
    leafKey = certificatePublicKey(chain[0]!);
  } catch (error) {
    if (error instanceof CertificateError) {
      throw new SignatureBuildError("the signing certificate is not DER X.509", { cause: error });
    }
    throw error;
  }
  const { spki } = await signer.publicKey();
  if (!bytesEqual(leafKey.spki, spki)) {
    throw new SignatureBuildError("the signing certificate does not hold the signer's public key");
  }
  // Verifiers derive the algorithm from the key (notation-core-go base/envelope.go) and reject others.
  const expected = notaryAlgorithmFor(leafKey);
  if (expected !== algorithm) {
    throw new SignatureBuildError(
      `the Notary Project pairs this key with ${expected ?? "no algorithm"}, but the signer uses ${algorithm}`,
    );
  }
  return algorithm;
}

function checkSignatureLength(algorithm: SignatureAlgorithm, signature: Uint8Array): void {
  const parameters = algorithmParameters(algorithm);
  if (parameters.kind === "ECDSA" && signature.length !== 2 * parameters.coordinateLength) {
    throw new SignatureBuildError(`${algorithm} signature of ${signature.length} bytes is not raw r‖s`);
  }
}
