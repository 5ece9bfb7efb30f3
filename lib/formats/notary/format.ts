// The Notary Project signature (notation): a JWS envelope in an artifact manifest attached to the
// image as an OCI 1.1 referrer, verified against a trust store of certificates.
import type { ManifestProbe, SignatureFormat } from "../format.ts";
import { failureDetail } from "../format.ts";
import { verifyReferrers, writeReferrer } from "../referrer.ts";
import { buildNotarySignature } from "./build.ts";
import { NotaryMediaType } from "./envelope.ts";
import { verifyNotarySignature } from "./verify.ts";

export const notary: SignatureFormat<"notary"> = {
  name: "notary",
  artifactType: NotaryMediaType.Signature,
  summary: "Notary Project JWS referrer",
  verifiedWith: "trustStore",

  recognize(manifest: ManifestProbe): boolean {
    // The pre-1.1 form carries the type as the config's media type.
    return (manifest.artifactType ?? manifest.config?.mediaType) === NotaryMediaType.Signature;
  },

  async sign({ repository, subject, signer, certificateChain, profile, created }) {
    const artifact = await buildNotarySignature({ subject, signer, certificateChain, signingTime: created });
    return writeReferrer({ repository, subject, artifact, profile, created });
  },

  verify(request) {
    return verifyReferrers(request, notary, async (signature) => {
      const verdict = await verifyNotarySignature({
        manifest: signature.manifestBytes,
        envelope: signature.layer,
        subject: request.subject,
        trustStore: request.material.trustStore,
        ...(request.now !== undefined && { now: request.now }),
      });
      return verdict.ok
        ? { ok: true, detail: `trust anchor ${verdict.trustAnchor}` }
        : failureDetail(verdict);
    });
  },
};
