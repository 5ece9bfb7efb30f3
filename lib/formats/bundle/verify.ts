// Verifies a Sigstore bundle with a public key through @sigstore/verify itself (its Verifier with the
// key as trust material, thresholds 0: no transparency log or timestamp required, but any present must
// verify), then checks what cosign checks on top: the DSSE statement names the image digest. An RSA
// key verifies RSASSA-PKCS1-v1_5 with SHA-256 only, as sigstore-go and @sigstore/verify both do.
//
// @sigstore/* use Node's `crypto` and `Buffer`: fine in Node and Lambda, and in workerd with
// `nodejs_compat`. They are loaded on first use, so code that only builds bundles never imports them.

import type { TrustedRoot as DecodedTrustedRoot } from "@sigstore/protobuf-specs";
import { fromUtf8 } from "../../encoding.ts";
import { sha256Hex } from "../../oci/digest.ts";
import { algorithmParameters, type HashName } from "../../signing/algorithm.ts";
import { type PublicKeyInput, parseVerificationKey, type SpkiKey } from "../public-key.ts";
import { rsaPssAlgorithmOf, rsaPssRefusal } from "../rsa-pss-signature.ts";
import type { SigstoreTrustedRoot } from "../sigstore/trusted-root.ts";
import { type FailureCode, reject, type Verdict, verdictOf } from "../verdict.ts";
import { publicKeyHint } from "./build.ts";
import { withDsseHash } from "./signature-content.ts";
import {
  CosignSignPredicateType,
  InTotoPayloadType,
  InTotoStatement,
  InTotoStatementType,
  preAuthEncoding,
} from "./statement.ts";
import {
  asBuffer,
  type TrustedRootOptions,
  trustedRootJson,
  verificationPublicKey,
} from "./trust-material.ts";

/**
 * What a bundle's signature is checked with: ECDSA with a hash (ES256 on a P-384 key accepts what cosign
 * before 2.6 signed), or RS256 (RSASSA-PKCS1-v1_5, SHA-256) for an RSA key, the only RSA scheme sigstore
 * verifies with a public key.
 */
export type BundleAlgorithm = "ES256" | "ES384" | "ES512" | "RS256";

export interface VerifyBundleOptions extends TrustedRootOptions {
  /** A trusted_root.json, used as written; replaces `transparencyLogs` and `timestampAuthorities`. */
  readonly trustedRoot?: SigstoreTrustedRoot;
  /** cosign's `--use-signed-timestamps`: at least one RFC 3161 timestamp must verify. */
  readonly requireSignedTimestamp?: boolean;
  readonly publicKey: PublicKeyInput;
  /** DSSE bundles: the statement must name this digest (`sha256:<hex>`). */
  readonly subjectDigest?: string;
  /** Message-signature bundles: the signed bytes (required for those). */
  readonly artifact?: Uint8Array;
  /** DSSE bundles: required predicate type; default cosign's image-signature type. */
  readonly predicateType?: string;
  /** Default: the algorithm the key implies (P-256 → ES256, P-384 → ES384, P-521 → ES512, RSA → RS256). */
  readonly algorithm?: BundleAlgorithm;
}

export interface BundleVerified {
  readonly ok: true;
  readonly format: "bundle";
  readonly mediaType: string;
  readonly content: "dsse-envelope" | "message-signature";
  /** The bundle's `publicKey.hint`, and whether it names this key. */
  readonly keyHint: string;
  readonly keyHintMatches: boolean;
  readonly transparencyLogEntries: number;
  readonly timestamps: number;
  readonly predicateType?: string;
}

const ERROR_CODES: Readonly<Record<string, FailureCode>> = {
  SIGNATURE_ERROR: "signature",
  PUBLIC_KEY_ERROR: "key",
  CERTIFICATE_ERROR: "key",
  TIMESTAMP_ERROR: "timestamp",
};

export function verifySigstoreBundle(
  bundleBytes: Uint8Array,
  options: VerifyBundleOptions,
): Promise<Verdict<BundleVerified>> {
  return verdictOf("bundle", async () => {
    const [
      { bundleFromJSON },
      { crypto: sigstoreCrypto },
      { TrustedRoot },
      { Verifier, toSignedEntity, toTrustMaterial },
    ] = await Promise.all([
      import("@sigstore/bundle"),
      import("@sigstore/core"),
      import("@sigstore/protobuf-specs"),
      import("@sigstore/verify"),
    ]);
    const key = await parseVerificationKey(options.publicKey);
    const algorithm = options.algorithm ?? defaultAlgorithm(key);
    if ((algorithm === "RS256") !== (key.type === "rsa")) {
      reject("key", `${algorithm} does not fit this ${key.type === "rsa" ? "RSA" : "EC"} key`);
    }
    let bundle: ReturnType<typeof bundleFromJSON>;
    try {
      bundle = bundleFromJSON(JSON.parse(fromUtf8(bundleBytes)));
    } catch (error) {
      reject("malformed", `not a Sigstore bundle: ${(error as Error).message}`, { cause: error });
    }
    const material = bundle.verificationMaterial;
    if (material.content.$case !== "publicKey") {
      reject("key", `the bundle carries a ${material.content.$case}, not a public-key hint`);
    }
    const hint = material.content.publicKey.hint;
    const ownHint = await publicKeyHint(key.spki);
    // Keyed by the bundle's own hint: whether it names our key is reported, the signature decides.
    const root = options.trustedRoot?.document ?? (await trustedRootJson(options));
    const trust = toTrustMaterial(trustedRootOf(root, TrustedRoot.fromJSON), {
      [hint]: verificationPublicKey(key),
    });
    // @sigstore/verify checks timestamps before log entries; entries no trusted log can check are the
    // first thing wrong with such a bundle, so they are named first.
    if (material.tlogEntries.length > 0 && trust.tlogs.length === 0) {
      reject(
        "transparency",
        `the bundle has ${material.tlogEntries.length} transparency-log entries and no trusted log to check them`,
      );
    }
    const stamps = material.timestampVerificationData?.rfc3161Timestamps.length ?? 0;
    if (options.requireSignedTimestamp && stamps === 0)
      reject("timestamp", "the bundle carries no RFC 3161 timestamp");
    const content = bundle.content;
    if (content.$case === "messageSignature" && !options.artifact) {
      reject("malformed", "a message-signature bundle can only be verified with the artifact bytes");
    }
    let entity = toSignedEntity(bundle, options.artifact ? asBuffer(options.artifact) : undefined);
    if (content.$case === "dsseEnvelope") {
      entity = withDsseHash(entity, content.dsseEnvelope, hashOf(algorithm), sigstoreCrypto.verify);
    }
    try {
      const timestampThreshold = options.requireSignedTimestamp ? 1 : 0;
      new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold }).verify(entity);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      const pss = code === "SIGNATURE_ERROR" ? await pssSigned(key, content, options.artifact) : undefined;
      if (pss) reject("unsupported", `@sigstore/verify: ${rsaPssRefusal(pss, "sigstore")}`, { cause: error });
      const failure = ERROR_CODES[code] ?? (code.startsWith("TLOG") ? "transparency" : "malformed");
      const other = hint !== ownHint ? ` (the bundle's key hint ${hint} names another key)` : "";
      reject(failure, `@sigstore/verify: ${(error as Error).message}${other}`, { cause: error });
    }
    const predicateType =
      content.$case === "dsseEnvelope"
        ? checkStatement(content.dsseEnvelope, options)
        : await checkArtifactDigest(options);
    return {
      ok: true,
      format: "bundle",
      mediaType: bundle.mediaType,
      content: content.$case === "dsseEnvelope" ? "dsse-envelope" : "message-signature",
      keyHint: hint,
      keyHintMatches: hint === ownHint,
      transparencyLogEntries: material.tlogEntries.length,
      timestamps: material.timestampVerificationData?.rfc3161Timestamps.length ?? 0,
      ...(predicateType ? { predicateType } : {}),
    } satisfies BundleVerified;
  });
}

function defaultAlgorithm(key: SpkiKey): BundleAlgorithm {
  if (key.type === "rsa") return "RS256";
  return ({ "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" } as const)[key.curve!];
}

function hashOf(algorithm: BundleAlgorithm): HashName {
  return algorithmParameters(algorithm).hash;
}

type BundleContent = ReturnType<typeof import("@sigstore/bundle").bundleFromJSON>["content"];

/** Whether a refused signature is RSASSA-PSS (the DSSE PAE, or the artifact of a message signature). */
async function pssSigned(key: SpkiKey, content: BundleContent, artifact: Uint8Array | undefined) {
  if (content.$case === "dsseEnvelope") {
    const { payloadType, payload, signatures } = content.dsseEnvelope;
    const signature = signatures[0]?.sig;
    return signature && rsaPssAlgorithmOf(key, preAuthEncoding(payloadType, payload), signature);
  }
  return artifact && rsaPssAlgorithmOf(key, artifact, content.messageSignature.signature);
}

function checkStatement(
  envelope: { readonly payloadType: string; readonly payload: Uint8Array },
  options: VerifyBundleOptions,
): string {
  if (envelope.payloadType !== InTotoPayloadType) {
    reject("malformed", `DSSE payloadType is ${envelope.payloadType}, not ${InTotoPayloadType}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(envelope.payload));
  } catch (error) {
    reject("malformed", "the DSSE payload is not JSON", { cause: error });
  }
  const parsed = InTotoStatement.safeParse(json);
  if (!parsed.success || parsed.data._type !== InTotoStatementType) {
    reject("malformed", "the DSSE payload is not an in-toto Statement v1");
  }
  const statement = parsed.data;
  const predicateType = options.predicateType ?? CosignSignPredicateType;
  if (statement.predicateType !== predicateType) {
    reject("malformed", `predicateType is ${statement.predicateType}, not ${predicateType}`);
  }
  if (!options.subjectDigest) reject("subject", "no subject digest was given to check the statement against");
  const [algorithm, hex] = options.subjectDigest.split(":") as [string, string];
  if (!statement.subject.some((subject) => subject.digest[algorithm] === hex)) {
    const named = statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`));
    reject("subject", `the statement is for ${named.join(", ") || "nothing"}, not ${options.subjectDigest}`);
  }
  return statement.predicateType;
}

async function checkArtifactDigest(options: VerifyBundleOptions): Promise<undefined> {
  if (options.subjectDigest && `sha256:${await sha256Hex(options.artifact!)}` !== options.subjectDigest) {
    reject("subject", `the artifact is not ${options.subjectDigest}`);
  }
  return undefined;
}

/** A configured trusted root (one object, judging every bundle after) is decoded once. */
const decodedRoots = new WeakMap<object, DecodedTrustedRoot>();

function trustedRootOf(root: object, decode: (json: unknown) => DecodedTrustedRoot): DecodedTrustedRoot {
  const known = decodedRoots.get(root);
  if (known !== undefined) return known;
  const decoded = decode(root);
  decodedRoots.set(root, decoded);
  return decoded;
}
