// A Sigstore trusted_root.json (protobuf-specs TrustedRoot, media type
// application/vnd.dev.sigstore.trustedroot+json;version=0.1), taken exactly as written: bundles hand the
// document itself to @sigstore/verify (validity windows and key details as the file says, no defaults),
// and cosign `.sig` timestamps are checked against its timestampAuthorities as sigstore-go's
// `ParseTimestampingAuthority` reads them (first certificate a leaf unless it is a CA, last the root).
import { z } from "zod";
import { fromBase64 } from "../../encoding.ts";
import { CertificateError, parseCertificate } from "../notary/certificate.ts";
import type { TimestampAuthority } from "../timestamp/token.ts";

export const TrustedRootMediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

export class TrustedRootError extends Error {
  override readonly name = "TrustedRootError";
}

const Instant = z.iso.datetime({ offset: true });
const CertificateAuthority = z
  .object({
    uri: z.string().optional(),
    certChain: z.object({ certificates: z.array(z.object({ rawBytes: z.string() }).loose()).min(1) }).loose(),
    validFor: z.object({ start: Instant.optional(), end: Instant.optional() }).loose().optional(),
  })
  .loose();
const Document = z
  .object({
    mediaType: z.literal(TrustedRootMediaType, { error: `mediaType must be ${TrustedRootMediaType}` }),
    tlogs: z.array(z.object({}).loose()).optional(),
    certificateAuthorities: z.array(CertificateAuthority).optional(),
    ctlogs: z.array(z.object({}).loose()).optional(),
    timestampAuthorities: z.array(CertificateAuthority).optional(),
  })
  .loose();

export interface SigstoreTrustedRoot {
  /** The document as written, for @sigstore/protobuf-specs `TrustedRoot.fromJSON`. */
  readonly document: Readonly<Record<string, unknown>>;
  readonly timestampAuthorities: readonly TimestampAuthority[];
  readonly transparencyLogs: number;
}

/** Parses a trusted_root.json (text or parsed JSON); throws TrustedRootError saying what is wrong. */
export function parseTrustedRoot(input: string | unknown): SigstoreTrustedRoot {
  let json: unknown = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch (error) {
      throw new TrustedRootError("the trusted root is not JSON", { cause: error });
    }
  }
  const parsed = Document.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TrustedRootError(`not a trusted_root.json: ${issue?.path.join(".")} ${issue?.message}`);
  }
  const document = parsed.data;
  return {
    document: json as Record<string, unknown>,
    timestampAuthorities: (document.timestampAuthorities ?? []).map(timestampAuthority),
    transparencyLogs: document.tlogs?.length ?? 0,
  };
}

function timestampAuthority(
  authority: z.infer<typeof CertificateAuthority>,
  index: number,
): TimestampAuthority {
  const chain = authority.certChain.certificates.map((certificate, i) => {
    try {
      const der = fromBase64(certificate.rawBytes);
      return { der, ca: parseCertificate(der).basicConstraints?.ca === true };
    } catch (error) {
      if (error instanceof CertificateError || error instanceof SyntaxError) {
        throw new TrustedRootError(`timestampAuthorities[${index}] certificate ${i} is not a certificate`, {
          cause: error,
        });
      }
      throw error;
    }
  });
  const last = chain.length - 1;
  const leaf = chain.length > 1 && !chain[0]!.ca ? chain[0]!.der : undefined;
  const start = authority.validFor?.start;
  const end = authority.validFor?.end;
  return {
    roots: [chain[last]!.der],
    intermediates: chain.slice(leaf ? 1 : 0, last).map((c) => c.der),
    ...(leaf && { leaf }),
    ...((start || end) && {
      validFor: { ...(start && { start: new Date(start) }), ...(end && { end: new Date(end) }) },
    }),
    name: authority.uri ?? `timestampAuthorities[${index}]`,
  };
}
