// The Notary Project signature (notation): a JWS envelope in an artifact manifest attached to the
// image as an OCI 1.1 referrer, verified against a trust store of certificates.
import type { ManifestProbe, SignatureFormat } from "../format.ts";
import { failureDetail } from "../format.ts";
import { findOwnReferrer, verifyReferrers, writeReferrer } from "../referrer.ts";
import { buildNotarySignature } from "./build.ts";
import { NotaryMediaType } from "./envelope.ts";
import { resolveTrust } from "./trust-resolution.ts";
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

  async sign({ repository, subject, signer, certificateChain, profile, created, timestamper }) {
    const artifact = await buildNotarySignature({
      subject,
      signer,
      certificateChain,
      signingTime: created,
      ...(timestamper && { timestamper }),
    });
    return writeReferrer({ repository, subject, artifact, profile, created, keyId: signer.keyId });
  },

  verify(request) {
    const { material, scope } = request;
    // notation-go GetApplicableTrustPolicy: an exact registry scope, else the wildcard statement.
    const trust = material.notation ? resolveTrust(material.notation, scope) : undefined;
    return verifyReferrers(request, notary, async (signature) => {
      if (material.notation && !trust) {
        return {
          ok: false,
          detail: `policy: no trust policy statement applies to ${scope ?? "this artifact"}`,
        };
      }
      const verdict = await verifyNotarySignature({
        manifest: signature.manifestBytes,
        envelope: signature.layer,
        subject: request.subject,
        trustStore: material.trustStore,
        ...(material.tsaTrustStore && { tsaTrustStore: material.tsaTrustStore }),
        ...(trust && { trust }),
        ...(request.now !== undefined && { now: request.now }),
      });
      if (!verdict.ok) return failureDetail(verdict);
      if (verdict.skipped)
        return { ok: true, detail: `skipped: trust policy "${verdict.policy}" has level skip` };
      const parts = [
        `trust anchor ${verdict.trustAnchor}`,
        ...(verdict.timestamp ? [`timestamp ${verdict.timestamp.toISOString()}`] : []),
        ...verdict.warnings.map((warning) => `logged ${warning}`),
      ];
      return { ok: true, detail: parts.join("; ") };
    });
  },

  findOwn(request) {
    return findOwnReferrer(request, notary);
  },
};
