// What one signature costs in CPU, per format, with a local P-256 key: the same operations for the
// workerd run (bench/edge-worker.ts) and the Node baseline (bench/edge.ts), so the two are comparable.
// `bare` is a WebCrypto ECDSA sign of a payload-sized message: the floor under every format.
import { buildSigstoreBundle } from "../lib/formats/bundle/build.ts";
import { buildCosignSignature } from "../lib/formats/cosign/build.ts";
import { buildNotarySignature } from "../lib/formats/notary/build.ts";
import type { Descriptor } from "../lib/oci/descriptor.ts";
import { createNotaryCertificate } from "../lib/signing/certificate.ts";
import { LocalSigner } from "../lib/signing/local.ts";

export const SigningOperationNames = ["bare", "notary", "cosign", "bundle"] as const;
export type SigningOperationName = (typeof SigningOperationNames)[number];

const subject: Descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"b8479de3".repeat(8)}`,
  size: 517,
};
const dockerReference = "registry.example.com/team/app";

export async function signingOperations(): Promise<Record<SigningOperationName, () => Promise<unknown>>> {
  const signer = await LocalSigner.generate("ES256");
  const certificate = await createNotaryCertificate(signer, { subject: { commonName: "bench" } });
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
    "sign",
  ])) as CryptoKeyPair;
  const message = new Uint8Array(300).fill(7);
  return {
    bare: () => crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, message),
    notary: () => buildNotarySignature({ subject, signer, certificateChain: [certificate] }),
    cosign: () => buildCosignSignature({ dockerReference, subjectDigest: subject.digest, signer }),
    bundle: () => buildSigstoreBundle({ subject, signer }),
  };
}
