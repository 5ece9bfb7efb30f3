// The `timestamp` and `verification` sections: a TSA to timestamp every signature with, and the material
// /v1/verify judges other signers' signatures with (public keys, notation trust policy and named stores,
// a Sigstore trusted_root.json). Files are read once at load time through the resolver, relative to the
// configuration file; each may also be given inline (PEM text, a JSON object), as Lambda and Workers
// have no files to read.
import { z } from "zod";
import type { VerificationMaterial } from "../formats/format.ts";
import { TrustPolicyDocument } from "../formats/notary/trust-policy.ts";
import { parseTrustedRoot, type SigstoreTrustedRoot } from "../formats/sigstore/trusted-root.ts";
import { httpTimestamper, type Timestamper } from "../formats/timestamp/client.ts";
import { pemBlocks } from "../signing/pem.ts";
import type { SecretResolver } from "./secret.ts";

async function readSource(resolver: SecretResolver, source: string, ctx: z.RefinementCtx) {
  if (source.trimStart().startsWith("-----BEGIN")) return source;
  try {
    return await resolver.readFile(source);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    ctx.addIssue({
      code: "custom",
      message: `cannot read ${JSON.stringify(source)} (${typeof code === "string" ? code : "unreadable"})`,
    });
    return undefined;
  }
}

/** A PEM file (or PEM text) holding `label` blocks, as DER. */
function pemSource(resolver: SecretResolver, label: "CERTIFICATE" | "PUBLIC KEY") {
  return z
    .string()
    .min(1)
    .transform(async (source, ctx) => {
      const text = await readSource(resolver, source, ctx);
      if (text === undefined) return z.NEVER;
      let blocks: Uint8Array[] = [];
      try {
        blocks = pemBlocks(text, label);
      } catch {
        // reported below
      }
      if (blocks.length === 0) {
        ctx.addIssue({
          code: "custom",
          message: `no PEM ${label} in ${source.startsWith("-----") ? "the text" : source}`,
        });
        return z.NEVER;
      }
      return blocks;
    })
    .describe(
      `A PEM file (relative to the configuration file) or the PEM text itself, holding ${label} blocks.`,
    );
}

/** A JSON file or the JSON object itself. */
function jsonSource(resolver: SecretResolver) {
  return z.union([z.string().min(1), z.record(z.string(), z.unknown())]).transform(async (source, ctx) => {
    if (typeof source !== "string") return source as unknown;
    const text = await readSource(resolver, source, ctx);
    if (text === undefined) return z.NEVER;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: `${source} is not JSON` });
      return z.NEVER;
    }
  });
}

export function timestampSchema(resolver: SecretResolver) {
  return z
    .strictObject({
      url: z
        .url()
        .describe("RFC 3161 timestamping authority (http or https), as notation's --timestamp-url."),
      rootCertificate: pemSource(resolver, "CERTIFICATE").describe(
        "The TSA's root certificate(s): its answers must verify against them before a signature is written.",
      ),
    })
    .optional()
    .describe(
      "Timestamp every signature (Notary timestampSignature, bundle rfc3161Timestamps, cosign's annotation). A TSA failure fails the attempt and the job retries; no signature is written without its timestamp.",
    );
}

export function verificationSchema(resolver: SecretResolver) {
  return z
    .strictObject({
      publicKeys: z
        .array(pemSource(resolver, "PUBLIC KEY"))
        .max(100)
        .default([])
        .describe("Further public keys (PEM) trusted for cosign signatures and Sigstore bundles."),
      trustStore: z
        .array(pemSource(resolver, "CERTIFICATE"))
        .max(100)
        .default([])
        .describe("Further certificates trusted for Notary signatures (a strict `ca` store, any identity)."),
      tsaTrustStore: z
        .array(pemSource(resolver, "CERTIFICATE"))
        .max(100)
        .default([])
        .describe(
          "TSA roots beside trustStore (a `tsa` store): Notary signatures then need a trusted timestamp.",
        ),
      trustPolicy: jsonSource(resolver)
        .pipe(TrustPolicyDocument)
        .optional()
        .describe("A notation trust policy (trustpolicy.json, file or object); decides Notary signatures."),
      trustStores: z
        .record(z.string(), z.array(pemSource(resolver, "CERTIFICATE")).min(1))
        .superRefine((stores, ctx) => {
          for (const name of Object.keys(stores)) {
            if (!/^(ca|signingAuthority|tsa):[a-zA-Z0-9_.-]+$/.test(name)) {
              ctx.addIssue({
                code: "custom",
                path: [name],
                message: "a store is <ca|signingAuthority|tsa>:<name>",
              });
            }
          }
        })
        .default({})
        .describe(
          'The stores trustPolicy names, e.g. { "ca:acme": ["acme-root.pem"], "tsa:tsa": ["tsa-root.pem"] }.',
        ),
      trustedRoot: jsonSource(resolver)
        .transform((json, ctx) => {
          try {
            return parseTrustedRoot(json);
          } catch (error) {
            ctx.addIssue({ code: "custom", message: (error as Error).message });
            return z.NEVER;
          }
        })
        .optional()
        .describe(
          "A Sigstore trusted_root.json (file or object): tlog entries and timestamps are checked against it.",
        ),
      requireSignedTimestamp: z
        .boolean()
        .default(false)
        .describe(
          "cosign's --use-signed-timestamps: bundles need a verified RFC 3161 timestamp; a .sig timestamp must verify when present.",
        ),
    })
    .prefault({})
    .describe(
      "What GET /v1/verify judges signatures with, besides the service's own key and certificate (trusted for Notary through trustStore, so a trustPolicy must name a store holding it).",
    );
}

export type VerificationConfig = z.output<ReturnType<typeof verificationSchema>>;
export type TimestampConfig = NonNullable<z.output<ReturnType<typeof timestampSchema>>>;

/** The service's own key and certificate, plus the configured material. */
export function verificationMaterial(
  config: VerificationConfig,
  own: { readonly publicKey: Uint8Array; readonly trustAnchor?: Uint8Array | undefined },
): VerificationMaterial {
  const trustedRoot: SigstoreTrustedRoot | undefined = config.trustedRoot;
  const tsa = config.tsaTrustStore.flat();
  return {
    publicKeys: [own.publicKey, ...config.publicKeys.flat()],
    trustStore: [...(own.trustAnchor ? [own.trustAnchor] : []), ...config.trustStore.flat()],
    ...(tsa.length > 0 && { tsaTrustStore: tsa }),
    ...(config.trustPolicy && {
      notation: {
        policy: config.trustPolicy,
        stores: Object.fromEntries(
          Object.entries(config.trustStores).map(([name, sources]) => [name, sources.flat()]),
        ),
      },
    }),
    ...(trustedRoot && { trustedRoot }),
    ...(config.requireSignedTimestamp && { requireSignedTimestamp: true }),
  };
}

export function timestamperFrom(
  config: TimestampConfig | undefined,
  fetch?: typeof globalThis.fetch,
): Timestamper | undefined {
  if (!config) return undefined;
  return httpTimestamper({ url: config.url, roots: config.rootCertificate, ...(fetch && { fetch }) });
}
