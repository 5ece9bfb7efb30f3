// cosign's classic signature: a simple-signing payload as a layer of the `sha256-<hex>.sig` manifest
// in the image's repository (one layer per signature), verified with a public key.
import { digestOf } from "../../oci/digest.ts";
import { InvalidManifestError, RegistryError } from "../../oci/errors.ts";
import { LayoutNotFoundError } from "../../oci/layout/errors.ts";
import { isImageManifest } from "../../oci/manifest-schema.ts";
import { type FetchedManifest, readBlobBytes } from "../../oci/target.ts";
import {
  failureDetail,
  type ManifestProbe,
  type SignatureFormat,
  type SignatureVerdict,
  type VerifyRequest,
} from "../format.ts";
import { parsePublicKey } from "../public-key.ts";
import { buildCosignSignature } from "./build.ts";
import {
  CosignMediaType,
  CosignSignatureAnnotation,
  CosignTimestampAnnotation,
  simpleSigningPayload,
} from "./payload.ts";
import { CosignBundleAnnotation } from "./rekor-bundle.ts";
import { cosignSignatureTag } from "./signature-manifest.ts";
import { cosignSignatureVerifies, verifyCosignSignature } from "./verify.ts";
import { writeCosignSignature } from "./write.ts";

/** A simple-signing payload is a few hundred bytes: a larger layer is not read at all. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;

export const cosign: SignatureFormat<"cosign"> = {
  name: "cosign",
  artifactType: CosignMediaType.SimpleSigning,
  summary: "classic sha256-<hex>.sig tag",
  verifiedWith: "publicKeys",
  signatureTag: cosignSignatureTag,

  recognize(manifest: ManifestProbe): boolean {
    const layers = manifest.layers ?? [];
    return layers.length > 0 && layers.every((layer) => layer.mediaType === CosignMediaType.SimpleSigning);
  },

  async sign({ repository, subject, signer, lock, timestamper }) {
    const signature = await buildCosignSignature({
      dockerReference: repository.name,
      subjectDigest: subject.digest,
      signer,
      ...(timestamper && { timestamper }),
    });
    return writeCosignSignature({ repository, subject, signature, lock });
  },

  verify: verifySigLayers,

  async findOwn({ repository, subject, signer }) {
    const tag = cosignSignatureTag(subject.digest);
    const { current } = await repository.readSharedTag(tag);
    if (current === undefined || !isImageManifest(current.manifest)) return undefined;
    // Every signer of this image in this repository signs these exact bytes; the layer that carries
    // them with a signature our key made is ours, checked here without fetching anything.
    const payload = simpleSigningPayload(repository.name, subject.digest);
    const digest = await digestOf(payload);
    const key = await parsePublicKey((await signer.publicKey()).spki);
    for (const layer of current.manifest.layers) {
      const signature = layer.annotations?.[CosignSignatureAnnotation];
      if (layer.digest !== digest || signature === undefined) continue;
      if (await cosignSignatureVerifies(key, payload, signature))
        return { digest: await digestOf(current.bytes) };
    }
    return undefined;
  },
};

async function verifySigLayers(request: VerifyRequest): Promise<SignatureVerdict[]> {
  const { target, subject } = request;
  const fetched = await fetchSigManifest(request);
  if (fetched === undefined || !isImageManifest(fetched.manifest)) return [];
  const digest = fetched.descriptor.digest;
  const verdicts: SignatureVerdict[] = [];
  for (const layer of fetched.manifest.layers) {
    const signatureBase64 = layer.annotations?.[CosignSignatureAnnotation];
    if (signatureBase64 === undefined || layer.size > MAX_PAYLOAD_BYTES) {
      verdicts.push({ digest, ok: false, detail: `layer ${layer.digest} carries no signature` });
      continue;
    }
    const payload = await readBlobBytes(target, layer);
    const { trustedRoot, requireSignedTimestamp } = request.material;
    const timestampAnnotation = layer.annotations?.[CosignTimestampAnnotation];
    const rekorBundle = layer.annotations?.[CosignBundleAnnotation];
    let result: { ok: boolean; detail: string } = { ok: false, detail: "no public key configured" };
    for (const [i, publicKey] of request.material.publicKeys.entries()) {
      const verdict = await verifyCosignSignature({
        payload,
        signatureBase64,
        publicKey,
        subjectDigest: subject.digest,
        ...(timestampAnnotation !== undefined && { timestampAnnotation }),
        ...(trustedRoot && { timestampAuthorities: trustedRoot.timestampAuthorities, trustedRoot }),
        ...(rekorBundle !== undefined && { rekorBundle }),
        ...(requireSignedTimestamp && { requireTimestamp: true }),
      });
      const stamped =
        (verdict.ok && verdict.timestamp ? `, timestamp ${verdict.timestamp.toISOString()}` : "") +
        (verdict.ok && verdict.integratedTime ? `, logged ${verdict.integratedTime.toISOString()}` : "");
      result = verdict.ok ? { ok: true, detail: `public key #${i + 1}${stamped}` } : failureDetail(verdict);
      if (result.ok) break;
    }
    verdicts.push({ digest, ...result });
  }
  return verdicts;
}

/** The `.sig` manifest, or undefined when there is none (or nothing cosign could read). */
async function fetchSigManifest(request: VerifyRequest): Promise<FetchedManifest | undefined> {
  try {
    return await request.target.fetchManifest(cosignSignatureTag(request.subject.digest));
  } catch (error) {
    const absent =
      (error instanceof RegistryError && error.status === 404) || error instanceof LayoutNotFoundError;
    if (absent || error instanceof InvalidManifestError) return undefined;
    throw error;
  }
}
