// What a cosign v3 image signature signs: an in-toto Statement v1 (in-toto/attestation spec/v1/
// statement.md) naming the image digest, wrapped in DSSE (secure-systems-lab/dsse protocol.md).
import { z } from "zod";
import { utf8 } from "../../encoding.ts";
import { MediaType } from "../../oci/media-types.ts";

export const SigstoreBundleMediaType = MediaType.SigstoreBundle;
export const InTotoPayloadType = "application/vnd.in-toto+json";
export const InTotoStatementType = "https://in-toto.io/Statement/v1";
/** cosign's `types.CosignSignPredicateType`. */
export const CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1";

export const BundleAnnotation = {
  Content: "dev.sigstore.bundle.content",
  PredicateType: "dev.sigstore.bundle.predicateType",
} as const;

/** The statement as cosign's `signDigestBundle` marshals it (subject without a name, empty annotations). */
export function signStatement(subjectDigest: string): Uint8Array<ArrayBuffer> {
  const [algorithm, hex] = subjectDigest.split(":") as [string, string];
  return utf8(
    JSON.stringify({
      _type: InTotoStatementType,
      subject: [{ digest: { [algorithm]: hex }, annotations: {} }],
      predicateType: CosignSignPredicateType,
      predicate: {},
    }),
  );
}

export const InTotoStatement = z.object({
  _type: z.string(),
  subject: z.array(
    z.object({ name: z.string().optional(), digest: z.record(z.string(), z.string()) }).loose(),
  ),
  predicateType: z.string(),
  predicate: z.unknown().optional(),
});
export type InTotoStatement = z.infer<typeof InTotoStatement>;

/** DSSE pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const type = utf8(payloadType);
  const head = utf8(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}
