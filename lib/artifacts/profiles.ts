// What each registry needs from the artifact manifests we write, as data. Every rule cites the
// registry survey in DESIGN.md ("Referrers, the fallback, and real registries"); where the survey is
// silent we detect (probe the referrers endpoint once and cache) instead of guessing.
// sigstore-js chose a registry "downgrade" by host substring; here a profile is named, tested data.

/** `scratch-layer`: `artifactType` + empty `{}` config. `legacy-config`: the type in `config.mediaType`. */
export type ManifestShape = "scratch-layer" | "legacy-config";

/** `api`: the registry serves `GET /v2/<name>/referrers/<digest>`; `fallback`: tag schema only. */
export type ReferrersMode = "api" | "fallback" | "detect";

export type ProfileName =
  | "distribution"
  | "dockerhub"
  | "ecr"
  | "gcr"
  | "quay"
  | "harbor"
  | "acr"
  | "ghcr"
  | "artifactory"
  | "zot"
  | "oci11";

export interface RegistryProfile {
  readonly name: ProfileName;
  readonly manifestShape: ManifestShape;
  /** The registry takes a manifest with a top-level `artifactType` (false forces `legacy-config`). */
  readonly acceptsArtifactType: boolean;
  /** We put `subject` in the manifests we write (false: attach through the tag-schema index only). */
  readonly supportsSubject: boolean;
  /** A PUT refused because of `subject`: fail, or write again without it and rely on the fallback index. */
  readonly onSubjectRefused: "fail" | "retry-without-subject";
  readonly referrers: ReferrersMode;
  /** A manifest with `layers: []` is accepted. We always write one non-empty layer regardless. */
  readonly acceptsNoLayers: boolean;
  /** A zero-byte blob upload failed with 500 on two registries: never write one, anywhere. */
  readonly zeroByteBlobs: false;
  /** One large registry sent `OCI-Subject` without a working referrers API: the header is a hint only. */
  readonly trustsSubjectHeader: false;
  /**
   * Hosts besides the registry's own whose token realm it uses (Docker Hub's registry-1.docker.io
   * sends clients to auth.docker.io). A realm on any other host is refused (lib/oci/remote/auth.ts).
   */
  readonly tokenRealmHosts: readonly string[];
}

// The survey's baseline: the scratch-layer form "was accepted everywhere", a manifest without config
// "was rejected everywhere" (so we always write the `{}` config), and subject/referrers vary.
const base = {
  manifestShape: "scratch-layer",
  acceptsArtifactType: true,
  supportsSubject: true,
  onSubjectRefused: "fail",
  referrers: "detect",
  acceptsNoLayers: true,
  zeroByteBlobs: false,
  trustsSubjectHeader: false,
  tokenRealmHosts: [],
} as const satisfies Omit<RegistryProfile, "name">;

export const RegistryProfiles: Readonly<Record<ProfileName, RegistryProfile>> = {
  // CNCF distribution 2.8 (Debian docker-registry): stores `subject` but has no referrers API (404),
  // so every attachment goes through the tag-schema index.
  distribution: { ...base, name: "distribution", referrers: "fallback" },
  // Docker Hub once refused any manifest with `subject`: on such a refusal write it again without
  // `subject` and list it in the fallback index, rather than failing the signature.
  dockerhub: {
    ...base,
    name: "dockerhub",
    onSubjectRefused: "retry-without-subject",
    tokenRealmHosts: ["auth.docker.io"],
  },
  // ECR answered 405 to manifests carrying `artifactType`/`subject` on some paths: no top-level
  // `artifactType` (the type rides in `config.mediaType`), and retry without `subject` on refusal.
  // ECR also rejected manifests with no layers.
  ecr: {
    ...base,
    name: "ecr",
    manifestShape: "legacy-config",
    acceptsArtifactType: false,
    onSubjectRefused: "retry-without-subject",
    acceptsNoLayers: false,
  },
  // GCR / Artifact Registry rejected manifests with no layers.
  gcr: { ...base, name: "gcr", acceptsNoLayers: false },
  // Quay rejected manifests with no layers.
  // Quay and GHCR serve their realms on their own hosts (`quay.io/v2/auth`, `ghcr.io/token`).
  quay: { ...base, name: "quay", acceptsNoLayers: false, tokenRealmHosts: ["quay.io"] },
  // Harbor: referrers API only in recent releases; detect per deployment.
  harbor: { ...base, name: "harbor" },
  acr: { ...base, name: "acr" },
  ghcr: { ...base, name: "ghcr", tokenRealmHosts: ["ghcr.io"] },
  // Artifactory rejected manifests with no layers.
  artifactory: { ...base, name: "artifactory", acceptsNoLayers: false },
  // zot implements distribution-spec 1.1 including the referrers endpoint.
  zot: { ...base, name: "zot", referrers: "api" },
  // Any other registry: OCI 1.1 shapes, referrers capability detected and cached.
  oci11: { ...base, name: "oci11" },
};

export class UnknownRegistryProfileError extends Error {
  override readonly name = "UnknownRegistryProfileError";
}

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(RegistryProfiles, name);
}

/** The profile named in configuration: an unknown name is a configuration error, never a silent default. */
export function profileNamed(name: string): RegistryProfile {
  if (!isProfileName(name)) {
    const known = Object.keys(RegistryProfiles).join(", ");
    throw new UnknownRegistryProfileError(`unknown registry profile "${name}" (known: ${known})`);
  }
  return RegistryProfiles[name];
}

/** The same registry after it refused `subject`: no subject, attachments listed in the fallback index. */
export function withoutSubject(profile: RegistryProfile): RegistryProfile {
  return { ...profile, supportsSubject: false, referrers: "fallback" };
}

type HostRule = { readonly profile: ProfileName; readonly matches: (labels: readonly string[]) => boolean };

const is =
  (...expected: string[]) =>
  (labels: readonly string[]) =>
    labels.length === expected.length && expected.every((label, i) => labels[i] === label);

/** At least one label before `suffix`, matched on whole labels: `evilazurecr.io` is not `*.azurecr.io`. */
const under =
  (...suffix: string[]) =>
  (labels: readonly string[]) =>
    labels.length > suffix.length &&
    suffix.every((label, i) => labels[labels.length - suffix.length + i] === label);

// Hosts of the hosted registries, matched on whole DNS labels (RFC 1034 §3.1): `ghcr.io.evil.com` and
// `evilghcr.io` are not GHCR. Self-hosted products (distribution, Harbor, zot) have no fixed host:
// configure them by name.
const HostRules: readonly HostRule[] = [
  { profile: "ecr", matches: isEcrPrivate },
  { profile: "ecr", matches: is("public", "ecr", "aws") },
  { profile: "ghcr", matches: is("ghcr", "io") },
  { profile: "acr", matches: (l) => ["io", "cn", "us"].some((tld) => under("azurecr", tld)(l)) },
  { profile: "gcr", matches: (l) => is("gcr", "io")(l) || (l.length === 3 && under("gcr", "io")(l)) },
  { profile: "gcr", matches: isArtifactRegistry },
  { profile: "quay", matches: is("quay", "io") },
  { profile: "dockerhub", matches: (l) => is("docker", "io")(l) || isDockerHubRegistry(l) },
  { profile: "artifactory", matches: under("jfrog", "io") },
];

// `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` and the dual-stack `<account>.dkr-ecr.<region>.on.aws`.
function isEcrPrivate(labels: readonly string[]): boolean {
  const [account, service, ...rest] = labels;
  if (account === undefined || !/^\d{12}$/.test(account)) return false;
  if (service === "dkr-ecr") return rest.length === 3 && rest[1] === "on" && rest[2] === "aws";
  const [ecr, , ...domain] = rest;
  const tail = domain.join(".");
  return (
    service === "dkr" &&
    (ecr === "ecr" || ecr === "ecr-fips") &&
    (tail === "amazonaws.com" || tail === "amazonaws.com.cn")
  );
}

// `<location>-docker.pkg.dev`
function isArtifactRegistry(labels: readonly string[]): boolean {
  const [first] = labels;
  return (
    labels.length === 3 &&
    first !== undefined &&
    /^[a-z0-9-]+-docker$/.test(first) &&
    under("pkg", "dev")(labels)
  );
}

function isDockerHubRegistry(labels: readonly string[]): boolean {
  return is("registry-1", "docker", "io")(labels) || is("index", "docker", "io")(labels);
}

/** Lowercase DNS labels of `host` (`name[:port]`, `[v6]:port`); undefined when it is not a host name. */
function hostLabels(host: string): string[] | undefined {
  const name = host.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(name)) return undefined;
  return name.split(".");
}

/**
 * The profile for a registry host. Explicit configuration wins; then the hosted registries' own
 * host names; anything else (self-hosted, loopback, unknown) is generic OCI 1.1 with detection.
 */
export function profileFor(host: string, configured?: string): RegistryProfile {
  if (configured !== undefined) return profileNamed(configured);
  const labels = hostLabels(host);
  if (labels === undefined) return RegistryProfiles.oci11;
  const rule = HostRules.find((candidate) => candidate.matches(labels));
  return RegistryProfiles[rule?.profile ?? "oci11"];
}
