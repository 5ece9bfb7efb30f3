// "What is attached to this image, and does it verify?": reads referrers and the cosign `.sig` tag of
// a subject from any Target (registry or OCI layout) and runs each format's verifier on them.

import { verifySigstoreBundle } from "../formats/bundle/verify.ts";
import { CosignSignatureAnnotation } from "../formats/cosign/payload.ts";
import { cosignSignatureTag } from "../formats/cosign/signature-manifest.ts";
import { verifyCosignSignature } from "../formats/cosign/verify.ts";
import { FormatArtifactTypes, type FormatName } from "../formats/names.ts";
import type { TrustAnchorInput } from "../formats/notary/trust-store.ts";
import { verifyNotarySignature } from "../formats/notary/verify.ts";
import type { PublicKeyInput } from "../formats/public-key.ts";
import type { Descriptor } from "../oci/descriptor.ts";
import { RegistryError } from "../oci/errors.ts";
import { LayoutNotFoundError } from "../oci/layout/errors.ts";
import { safeParseImageManifest } from "../oci/manifest-schema.ts";
import type { Target } from "../oci/target.ts";

export interface VerificationKeys {
  /** Public keys (SPKI DER, PEM, or CryptoKey) for cosign signatures and Sigstore bundles. */
  readonly publicKeys: readonly PublicKeyInput[];
  /** Trust anchors (DER or PEM) for Notary signatures. */
  readonly trustStore: readonly TrustAnchorInput[];
}

/** One signature found, and the verifier's verdict on it. */
export interface SignatureCheck {
  readonly format: FormatName;
  /** The referrer manifest (notary, bundle) or the `.sig` manifest (cosign). */
  readonly digest: string;
  readonly ok: boolean;
  /** Why it failed; for a success, what matched (key or trust anchor). */
  readonly detail: string;
  readonly created?: string;
}

export interface FormatReport {
  readonly format: FormatName;
  /** At least one attached signature of this format verifies. */
  readonly verified: boolean;
  readonly signatures: readonly SignatureCheck[];
}

export interface VerifyOptions {
  readonly target: Target;
  readonly subject: Descriptor;
  readonly formats: readonly FormatName[];
  readonly keys: VerificationKeys;
  readonly now?: Date;
}

export async function verifySubject(options: VerifyOptions): Promise<FormatReport[]> {
  const reports: FormatReport[] = [];
  for (const format of options.formats) {
    const signatures =
      format === "cosign" ? await checkCosign(options) : await checkReferrers(options, format);
    reports.push({ format, verified: signatures.some((s) => s.ok), signatures });
  }
  return reports;
}

async function checkReferrers(
  options: VerifyOptions,
  format: "notary" | "bundle",
): Promise<SignatureCheck[]> {
  const { target, subject } = options;
  const referrers = await target.referrers(subject, FormatArtifactTypes[format]);
  const checks: SignatureCheck[] = [];
  for (const referrer of referrers) {
    const fetched = await target.fetchManifest(referrer.digest);
    const manifest = safeParseImageManifest(fetched.bytes);
    const layer = manifest?.layers[0];
    const created = manifest?.annotations?.["org.opencontainers.image.created"];
    const base = { format, digest: referrer.digest, ...(created !== undefined && { created }) };
    if (manifest === undefined || layer === undefined || layer.size > 4 * 1024 * 1024) {
      checks.push({ ...base, ok: false, detail: "not a signature manifest with one layer" });
      continue;
    }
    const blob = await readAll(await target.fetchBlob(layer));
    checks.push({ ...base, ...(await judge(format, options, fetched.bytes, blob)) });
  }
  return checks;
}

async function judge(
  format: "notary" | "bundle",
  options: VerifyOptions,
  manifestBytes: Uint8Array,
  blob: Uint8Array,
): Promise<{ ok: boolean; detail: string }> {
  if (format === "notary") {
    const verdict = await verifyNotarySignature({
      manifest: manifestBytes,
      envelope: blob,
      subject: options.subject,
      trustStore: options.keys.trustStore,
      ...(options.now !== undefined && { now: options.now }),
    });
    return verdict.ok ? { ok: true, detail: `trust anchor ${verdict.trustAnchor}` } : failed(verdict);
  }
  let last: { ok: boolean; detail: string } = { ok: false, detail: "no public key configured" };
  for (const [i, publicKey] of options.keys.publicKeys.entries()) {
    const verdict = await verifySigstoreBundle(blob, { publicKey, subjectDigest: options.subject.digest });
    if (verdict.ok) return { ok: true, detail: `public key #${i + 1} (hint ${verdict.keyHint})` };
    last = failed(verdict);
  }
  return last;
}

async function checkCosign(options: VerifyOptions): Promise<SignatureCheck[]> {
  const { target, subject } = options;
  const tag = cosignSignatureTag(subject.digest);
  let fetched: Awaited<ReturnType<Target["fetchManifest"]>>;
  try {
    fetched = await target.fetchManifest(tag);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  const manifest = safeParseImageManifest(fetched.bytes);
  const checks: SignatureCheck[] = [];
  for (const layer of manifest?.layers ?? []) {
    const signatureBase64 = layer.annotations?.[CosignSignatureAnnotation];
    const digest = fetched.descriptor.digest;
    if (signatureBase64 === undefined || layer.size > 1024 * 1024) {
      checks.push({
        format: "cosign",
        digest,
        ok: false,
        detail: `layer ${layer.digest} carries no signature`,
      });
      continue;
    }
    const payload = await readAll(await target.fetchBlob(layer));
    let result: { ok: boolean; detail: string } = { ok: false, detail: "no public key configured" };
    for (const [i, publicKey] of options.keys.publicKeys.entries()) {
      const verdict = await verifyCosignSignature({
        payload,
        signatureBase64,
        publicKey,
        subjectDigest: subject.digest,
      });
      result = verdict.ok ? { ok: true, detail: `public key #${i + 1}` } : failed(verdict);
      if (result.ok) break;
    }
    checks.push({ format: "cosign", digest, ...result });
  }
  return checks;
}

function failed(verdict: { readonly code: string; readonly reason: string }): { ok: false; detail: string } {
  return { ok: false, detail: `${verdict.code}: ${verdict.reason}` };
}

function isNotFound(error: unknown): boolean {
  return (error instanceof RegistryError && error.status === 404) || error instanceof LayoutNotFoundError;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
