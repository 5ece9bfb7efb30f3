// notation's trust policy (notaryproject/specifications trust-store-trust-policy.md; notation-go
// verifier/trustpolicy): a document of statements, each with registry scopes, a verification level,
// trust stores `<type>:<name>` of type ca, signingAuthority or tsa, and trusted identities. Validated as
// notation-go's `Document.Validate` does, and resolved per artifact as `GetApplicableTrustPolicy`.
import { z } from "zod";
import type { TrustAnchorInput } from "./trust-store.ts";

export const TrustStoreTypes = ["ca", "signingAuthority", "tsa"] as const;
export type TrustStoreType = (typeof TrustStoreTypes)[number];

export const ValidationTypes = [
  "integrity",
  "authenticity",
  "authenticTimestamp",
  "expiry",
  "revocation",
] as const;
export type ValidationType = (typeof ValidationTypes)[number];
export type ValidationAction = "enforce" | "log" | "skip";
export type Enforcement = Readonly<Record<ValidationType, ValidationAction>>;

const LEVELS: Readonly<Record<string, Enforcement>> = {
  strict: {
    integrity: "enforce",
    authenticity: "enforce",
    authenticTimestamp: "enforce",
    expiry: "enforce",
    revocation: "enforce",
  },
  permissive: {
    integrity: "enforce",
    authenticity: "enforce",
    authenticTimestamp: "log",
    expiry: "log",
    revocation: "log",
  },
  audit: {
    integrity: "enforce",
    authenticity: "log",
    authenticTimestamp: "log",
    expiry: "log",
    revocation: "log",
  },
  skip: {
    integrity: "skip",
    authenticity: "skip",
    authenticTimestamp: "skip",
    expiry: "skip",
    revocation: "skip",
  },
};

// notation-go trustpolicy `validateRegistryScopeFormat`: a domain, then a lowercase repository path.
const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY =
  /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

const Statement = z.object({
  name: z.string().min(1, "a trust policy statement is missing a name"),
  registryScopes: z.array(z.string()).min(1, "a statement needs at least one registry scope"),
  signatureVerification: z.object({
    level: z.enum(["strict", "permissive", "audit", "skip"]),
    override: z.partialRecord(z.enum(ValidationTypes), z.enum(["enforce", "log", "skip"])).optional(),
    verifyTimestamp: z.enum(["always", "afterCertExpiry"]).optional(),
  }),
  trustStores: z.array(z.string()).default([]),
  trustedIdentities: z.array(z.string()).default([]),
});
export type TrustPolicyStatement = z.infer<typeof Statement>;

export const TrustPolicyDocument = z
  .object({ version: z.literal("1.0"), trustPolicies: z.array(Statement).min(1) })
  .superRefine((document, ctx) => {
    const problem = documentProblem(document.trustPolicies);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
export type TrustPolicyDocument = z.infer<typeof TrustPolicyDocument>;

/** A policy document with the certificates of each store it names, keyed `<type>:<name>`. */
export interface NotationTrust {
  readonly policy: TrustPolicyDocument;
  readonly stores: Readonly<Record<string, readonly TrustAnchorInput[]>>;
}

function documentProblem(statements: readonly TrustPolicyStatement[]): string | undefined {
  const names = new Set<string>();
  const scopes = new Map<string, string>();
  for (const statement of statements) {
    const name = statement.name;
    if (names.has(name)) return `multiple trust policy statements use the same name "${name}"`;
    names.add(name);
    const { level, override } = statement.signatureVerification;
    if (level === "skip") {
      if (override && Object.keys(override).length > 0) return `"${name}": level skip cannot be customized`;
      if (statement.trustStores.length > 0 || statement.trustedIdentities.length > 0) {
        return `"${name}" skips verification but lists trust stores or trusted identities`;
      }
    } else {
      if (statement.trustStores.length === 0 || statement.trustedIdentities.length === 0) {
        return `"${name}" needs both trust stores and trusted identities`;
      }
      for (const [type, action] of Object.entries(override ?? {})) {
        if (type === "integrity") return `"${name}": integrity verification cannot be overridden`;
        if (type !== "revocation" && action === "skip")
          return `"${name}": ${type} verification cannot be skipped`;
      }
    }
    for (const store of statement.trustStores) {
      const [type, storeName, extra] = store.split(":");
      if (
        extra !== undefined ||
        !TrustStoreTypes.includes(type as TrustStoreType) ||
        !STORE_NAME.test(storeName ?? "")
      ) {
        return `"${name}" has a malformed trust store "${store}" (<ca|signingAuthority|tsa>:<name>)`;
      }
    }
    const identityProblem = identitiesProblem(name, statement.trustedIdentities);
    if (identityProblem) return identityProblem;
    if (statement.registryScopes.length > 1 && statement.registryScopes.includes("*")) {
      return `"${name}": the wildcard registry scope cannot be combined with others`;
    }
    for (const scope of statement.registryScopes) {
      if (scope !== "*" && !validScope(scope))
        return `registry scope "${scope}" is not <domain>/<repository>`;
      const owner = scopes.get(scope);
      if (owner !== undefined) return `registry scope "${scope}" is in both "${owner}" and "${name}"`;
      scopes.set(scope, name);
    }
  }
  return undefined;
}

function identitiesProblem(name: string, identities: readonly string[]): string | undefined {
  if (identities.length > 1 && identities.includes("*")) {
    return `"${name}": the wildcard identity cannot be combined with others`;
  }
  const parsed: Record<string, string>[] = [];
  for (const identity of identities) {
    if (identity === "*") continue;
    const colon = identity.indexOf(":");
    if (colon < 0) return `"${name}" has trusted identity "${identity}" without a "<type>:" prefix`;
    if (identity.slice(0, colon) !== "x509.subject") continue;
    const dn = parseDistinguishedName(identity.slice(colon + 1));
    if (typeof dn === "string") return `"${name}" has trusted identity "${identity}": ${dn}`;
    parsed.push(dn);
  }
  for (const [i, a] of parsed.entries()) {
    for (const [j, b] of parsed.entries()) {
      if (i !== j && isSubsetDn(a, b)) return `"${name}" has overlapping x509.subject identities`;
    }
  }
  return undefined;
}

function validScope(scope: string): boolean {
  if (scope.includes("*")) return false;
  const slash = scope.indexOf("/");
  return slash > 0 && DOMAIN.test(scope.slice(0, slash)) && REPOSITORY.test(scope.slice(slash + 1));
}

/** The statement for `scope` (`<registry>/<repository>`): an exact scope wins over the wildcard. */
export function applicableStatement(
  document: TrustPolicyDocument,
  scope: string | undefined,
): TrustPolicyStatement | undefined {
  const exact =
    scope === undefined ? undefined : document.trustPolicies.find((s) => s.registryScopes.includes(scope));
  return exact ?? document.trustPolicies.find((s) => s.registryScopes.includes("*"));
}

export function enforcementOf(statement: TrustPolicyStatement): Enforcement {
  const { level, override } = statement.signatureVerification;
  return { ...LEVELS[level]!, ...override };
}

/**
 * RFC 4514 as notation reads x509.subject (go-ldap `ParseDN`, then notation's rules): single-valued RDNs,
 * no attribute twice, `S` as `ST`, and C, ST and O present. Returns the attributes or what is wrong.
 */
export function parseDistinguishedName(text: string): Record<string, string> | string {
  if (text.includes("=#")) return 'notation does not support identities containing "=#"';
  const attributes: Record<string, string> = {};
  let rest = text.trim();
  while (rest.length > 0) {
    const equals = rest.indexOf("=");
    if (equals <= 0) return `"${text}" is not a distinguished name`;
    let type = rest.slice(0, equals).trim().toUpperCase();
    if (type === "S") type = "ST";
    let value = "";
    let i = equals + 1;
    for (; i < rest.length; i++) {
      const char = rest[i]!;
      if (char === "\\" && i + 1 < rest.length) value += rest[++i];
      else if (char === "+") return `"${text}" has a multi-valued RDN`;
      else if (char === "," || char === ";") break;
      else value += char;
    }
    if (attributes[type] !== undefined) return `"${text}" has the attribute ${type} twice`;
    attributes[type] = value.trim();
    rest = rest.slice(i + 1).trim();
  }
  for (const mandatory of ["C", "ST", "O"]) {
    if (!attributes[mandatory]) return `"${text}" lacks ${mandatory} (C, ST or S, and O are required)`;
  }
  return attributes;
}

/** notation-go pkix.IsSubsetDN: every attribute of `subset` has the same value in `dn`. */
export function isSubsetDn(
  subset: Readonly<Record<string, string>>,
  dn: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(subset).every(([type, value]) => dn[type] === value);
}
