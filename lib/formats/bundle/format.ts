// The Sigstore bundle v0.3 (cosign v3's default): a DSSE envelope over an in-toto statement, in an
// artifact manifest attached to the image as an OCI 1.1 referrer, verified with a public key.
import { failureDetail, type ManifestProbe, type SignatureFormat } from "../format.ts";
import { findOwnReferrer, verifyReferrers, writeReferrer } from "../referrer.ts";
import { buildSigstoreBundle } from "./build.ts";
import { BundleAnnotation, SigstoreBundleMediaType } from "./statement.ts";
import { verifySigstoreBundle } from "./verify.ts";

export const bundle: SignatureFormat<"bundle"> = {
  name: "bundle",
  artifactType: SigstoreBundleMediaType,
  summary: "Sigstore bundle referrer",
  verifiedWith: "publicKeys",

  recognize(manifest: ManifestProbe): boolean {
    return (
      (manifest.artifactType ?? manifest.config?.mediaType) === SigstoreBundleMediaType ||
      manifest.annotations?.[BundleAnnotation.Content] !== undefined
    );
  },

  async sign({ repository, subject, signer, profile, created, timestamper }) {
    const artifact = await buildSigstoreBundle({
      subject,
      signer,
      created,
      ...(timestamper && { timestamper }),
    });
    return writeReferrer({ repository, subject, artifact, profile, created, keyId: signer.keyId });
  },

  verify(request) {
    return verifyReferrers(request, bundle, async (signature) => {
      let last: { ok: boolean; detail: string } = { ok: false, detail: "no public key configured" };
      for (const [i, publicKey] of request.material.publicKeys.entries()) {
        const verdict = await verifySigstoreBundle(signature.layer, {
          publicKey,
          subjectDigest: request.subject.digest,
          ...(request.material.trustedRoot && { trustedRoot: request.material.trustedRoot }),
          ...(request.material.requireSignedTimestamp && { requireSignedTimestamp: true }),
        });
        if (verdict.ok) {
          const stamped = verdict.timestamps > 0 ? `, ${verdict.timestamps} timestamp verified` : "";
          return { ok: true, detail: `public key #${i + 1} (hint ${verdict.keyHint})${stamped}` };
        }
        last = failureDetail(verdict);
      }
      return last;
    });
  },

  findOwn(request) {
    return findOwnReferrer(request, bundle);
  },
};
