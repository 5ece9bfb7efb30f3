// From a trust policy document and its stores to what verifying one artifact needs (notation-go
// `GetApplicableTrustPolicy`, `loadX509TrustStoresWithType`, `verifyX509TrustedIdentities`).
import { reject } from "../verdict.ts";
import type { NotaryCertificate } from "./certificate.ts";
import {
  applicableStatement,
  type Enforcement,
  enforcementOf,
  isSubsetDn,
  type NotationTrust,
  parseDistinguishedName,
  type TrustStoreType,
} from "./trust-policy.ts";
import type { TrustAnchorInput } from "./trust-store.ts";

export interface ResolvedTrust {
  /** The statement's name (for messages and reports). */
  readonly name: string;
  readonly enforcement: Enforcement;
  readonly verifyTimestamp: "always" | "afterCertExpiry";
  /** A `tsa` store is listed: notary.x509 signatures need a trusted timestamp (notation `isTSATrustStoreInPolicy`). */
  readonly timestampRequired: boolean;
  readonly stores: Readonly<Record<TrustStoreType, readonly TrustAnchorInput[]>>;
  /** Per type, why a store the statement names could not be loaded: fails the step that loads it. */
  readonly missing: Readonly<Partial<Record<TrustStoreType, string>>>;
  readonly trustedIdentities: readonly string[];
}

const STRICT: Enforcement = {
  integrity: "enforce",
  authenticity: "enforce",
  authenticTimestamp: "enforce",
  expiry: "enforce",
  revocation: "enforce",
};

/** A `ca` store (and optionally a `tsa` store) under a strict policy for any identity: the CLI's --trust-store. */
export function resolvedDefaultTrust(
  ca: readonly TrustAnchorInput[],
  tsa: readonly TrustAnchorInput[] = [],
): ResolvedTrust {
  return {
    name: "trust store",
    enforcement: STRICT,
    verifyTimestamp: "always",
    timestampRequired: tsa.length > 0,
    stores: { ca, signingAuthority: [], tsa },
    missing: {},
    trustedIdentities: ["*"],
  };
}

/** The statement applying to `scope` with its stores loaded, or undefined when none applies. */
export function resolveTrust(trust: NotationTrust, scope: string | undefined): ResolvedTrust | undefined {
  const statement = applicableStatement(trust.policy, scope);
  if (!statement) return undefined;
  const stores: Record<TrustStoreType, TrustAnchorInput[]> = { ca: [], signingAuthority: [], tsa: [] };
  const missing: Partial<Record<TrustStoreType, string>> = {};
  for (const reference of new Set(statement.trustStores)) {
    const [type, name] = reference.split(":") as [TrustStoreType, string];
    const certificates = trust.stores[reference];
    if (certificates === undefined || certificates.length === 0) {
      missing[type] ??= `the trust store "${name}" of type "${type}" does not exist or holds no certificate`;
      continue;
    }
    stores[type].push(...certificates);
  }
  return {
    name: statement.name,
    enforcement: enforcementOf(statement),
    verifyTimestamp: statement.signatureVerification.verifyTimestamp ?? "always",
    timestampRequired: statement.trustStores.some((reference) => reference.startsWith("tsa:")),
    stores,
    missing,
    trustedIdentities: statement.trustedIdentities,
  };
}

/**
 * notation-go verifyX509TrustedIdentities: `*` trusts anyone; else some `x509.subject:` DN must be a
 * subset of the leaf's subject, read as notation reads `Subject.String()` (C, ST and O required).
 */
export function checkTrustedIdentities(trust: ResolvedTrust, leaf: NotaryCertificate): void {
  if (trust.trustedIdentities.includes("*")) return;
  const identities = trust.trustedIdentities
    .filter((identity) => identity.startsWith("x509.subject:"))
    .map((identity) => parseDistinguishedName(identity.slice("x509.subject:".length)))
    .filter((dn): dn is Record<string, string> => typeof dn !== "string");
  if (identities.length === 0) {
    reject("identity", `no x509 trusted identities are configured in the trust policy "${trust.name}"`);
  }
  const subject = leafSubject(leaf);
  if (typeof subject === "string") reject("identity", `the signing certificate's subject: ${subject}`);
  if (!identities.some((identity) => isSubsetDn(identity, subject))) {
    reject(
      "identity",
      `signing certificate "${leaf.subjectName}" does not match the trusted identities of trust policy "${trust.name}"`,
    );
  }
}

function leafSubject(leaf: NotaryCertificate): Record<string, string> | string {
  const attributes: Record<string, string> = {};
  for (const rdn of leaf.subjectRdns) {
    if (rdn.length > 1) return `"${leaf.subjectName}" has a multi-valued RDN`;
    for (const [type, value] of rdn) {
      // Go prints types it has no name for as `<oid>=#<hex>`, which notation refuses to parse.
      if (/^\d/.test(type)) return `"${leaf.subjectName}" has an attribute notation cannot name (${type})`;
      if (attributes[type] !== undefined) return `"${leaf.subjectName}" has ${type} twice`;
      attributes[type] = value;
    }
  }
  for (const mandatory of ["C", "ST", "O"]) {
    if (!attributes[mandatory]) return `"${leaf.subjectName}" lacks ${mandatory}, which notation requires`;
  }
  return attributes;
}
