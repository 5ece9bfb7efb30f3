// The whole configuration as one zod schema: parsed at the edge (functions/node/config-file.ts), typed
// everywhere after. A missing or empty file is valid and means the embedded defaults (see `defaults.ts`).
import { z } from "zod";
import { type ProfileName, RegistryProfiles } from "../artifacts/profiles.ts";
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_DRAIN_MS } from "../attach/failure.ts";
import { DEFAULT_MAX_INDEX_CHILDREN, MAX_INDEX_CHILDREN_LIMIT } from "../attach/index-children.ts";
import { FormatNames, signatureFormats } from "../formats/index.ts";
import { isKmsKeyUri, parseKmsKeyUri } from "../signing/key-uri.ts";
import { EMBEDDED_DEFAULTS, EMBEDDED_DEFAULTS_SUMMARY } from "./defaults.ts";
import { globProblem } from "./glob.ts";
import { formatRegistryHostPattern, parseRegistryHostPattern } from "./registry-host.ts";
import { type SecretResolver, secretField } from "./secret.ts";
import { timestampSchema, verificationSchema } from "./verification.ts";
import { checkWebhookRegistries } from "./webhook-registries.ts";
import { webhookSchema } from "./webhooks.ts";

const glob = z
  .string()
  .superRefine((pattern, ctx) => {
    const problem = globProblem(pattern);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .describe(
    "Glob: `*` matches within one /-separated segment, `**` (a whole segment) any number of segments.",
  );

const globs = (description: string, fallback: readonly string[]) =>
  z
    .array(glob)
    .max(1000)
    .default([...fallback])
    .describe(description);

/** One glob or a list of them (claim patterns read better as a single string). */
const globList = z.union([glob.transform((one) => [one]), z.array(glob).min(1).max(100)]);

const registryHost = z
  .string()
  .max(300)
  .superRefine((host, ctx) => {
    const parsed = parseRegistryHostPattern(host);
    if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
  })
  .describe(
    'Registry host as clients address it: "ghcr.io", "registry.example.com:5000", "[::1]:5000". A loopback host may end in ":*" for any port. Matched exactly after normalization (lowercase, ":443" dropped, index.docker.io = docker.io).',
  );

const profileNames = Object.keys(RegistryProfiles) as [ProfileName, ...ProfileName[]];

function registrySchema(resolver: SecretResolver) {
  return z
    .strictObject({
      host: registryHost,
      credentials: z
        .strictObject({
          username: z.string().min(1).describe("Registry user name."),
          password: secretField(resolver).describe("Password or token (a secret)."),
        })
        .optional()
        .describe("Credentials for the registry's token or Basic authentication. Omit for anonymous access."),
      profile: z
        .enum(profileNames, { error: `unknown registry profile (known: ${profileNames.join(", ")})` })
        .optional()
        .describe(
          `Registry profile deciding the manifest shapes written: ${profileNames.join(" | ")}. Default: chosen from the host name (oci11 for unknown hosts).`,
        ),
      plainHttp: z
        .boolean()
        .optional()
        .describe("Talk plain HTTP instead of HTTPS. Default: true for loopback hosts, false otherwise."),
      repositories: globs("Repositories of this registry that may be signed.", ["**"]),
      tokenRealms: z
        .array(registryHost)
        .max(20)
        .default([])
        .describe(
          "Hosts besides the registry's own that may serve its token realm (the `realm` of a `WWW-Authenticate: Bearer` challenge), e.g. gitlab.com for registry.gitlab.com. The profile's known realm hosts (auth.docker.io for Docker Hub) need no entry. A realm on any other host is refused: the registry's credentials go nowhere else.",
        ),
      storageHosts: z
        .array(registryHost)
        .max(20)
        .default([])
        .describe(
          "Hosts on loopback, link-local or private addresses that blob downloads may be redirected to (an object store on the local network). Redirects to public storage hosts need no entry; no redirect to another origin carries the registry's credentials.",
        ),
    })
    .describe("A registry Countersign may talk to. Nothing outside this list ever gets a request.");
}

const signerSchema = z
  .strictObject({
    key: z
      .string()
      .min(1)
      .superRefine((key, ctx) => {
        if (isKmsKeyUri(key)) {
          try {
            parseKmsKeyUri(key);
          } catch (error) {
            ctx.addIssue({ code: "custom", message: (error as Error).message });
          }
        } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(key)) {
          ctx.addIssue({
            code: "custom",
            message: "unsupported key URI scheme (use a file path or awskms://)",
          });
        }
      })
      .optional()
      .describe(
        "Private key file (PEM, PKCS#8; relative to the configuration file) or an AWS KMS key URI awskms://[endpoint]/<key id | alias/name | ARN>. Omitted: a P-256 key generated on first start at <dataDir>/signing-key.pem and kept there.",
      ),
    certificateChain: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM file with the certificate chain for Notary signatures (leaf first). Omitted: a self-signed leaf.",
      ),
  })
  .describe("The signing key.");

const formatsSchema = z
  .array(z.enum(FormatNames))
  .min(1)
  .default([...FormatNames])
  .refine((formats) => new Set(formats).size === formats.length, { error: "a format is listed twice" })
  .describe(
    `Signature formats written for every image: ${signatureFormats.map((format) => `${format.name} (${format.summary})`).join(", ")}.`,
  );

const policySchema = z
  .strictObject({
    include: globs("Repositories to sign (in every registry, on top of registries[].repositories).", ["**"]),
    exclude: globs("Repositories never to sign; wins over include.", []),
    tags: z
      .strictObject({
        include: globs("Tags whose pushes are signed.", ["*"]),
        exclude: globs("Tags never signed; wins over include.", []),
        untagged: z.boolean().default(true).describe("Sign pushes that name a digest and no tag."),
      })
      .prefault({})
      .describe(
        "Tag filters. Cosign's digest tags (sha256-<hex>, .sig, .att, .sbom) are never signed regardless.",
      ),
    signIndexChildren: z
      .boolean()
      .default(true)
      .describe("For an image index, also sign each child manifest (per-platform images)."),
    maxIndexChildren: z
      .number()
      .int()
      .min(0)
      .max(MAX_INDEX_CHILDREN_LIMIT)
      .default(DEFAULT_MAX_INDEX_CHILDREN)
      .describe(
        `Most child manifests signed for one index (at most ${MAX_INDEX_CHILDREN_LIMIT}). An index with more platform manifests than this gets its own signature only; the job records the children it skipped and why. Each child is fetched and hash-verified before it is signed; a child the registry does not have is not signed.`,
      ),
  })
  .describe("Which pushes get signed.");

const GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com";

function apiSchema(resolver: SecretResolver) {
  return z
    .strictObject({
      tokens: z
        .array(
          secretField(resolver).refine((token) => token.reveal().length >= 16, {
            error: "an API token must be at least 16 characters",
          }),
        )
        .max(100)
        .default([])
        .describe(
          "Bearer tokens accepted by POST /v1/signatures (secrets). Empty and no githubOidc: on-demand signing is off.",
        ),
      githubOidc: z
        .strictObject({
          audience: z.string().min(1).describe("Required `aud` claim (the audience the workflow requests)."),
          issuer: z
            .url()
            .default(GITHUB_ACTIONS_ISSUER)
            .describe("Token issuer; its JWKS is fetched from <issuer>/.well-known/jwks."),
          claims: z
            .strictObject({
              repository: globList.describe('Allowed `repository` claim(s), e.g. "my-org/*".'),
              ref: globList
                .optional()
                .describe('Allowed `ref` claim(s), e.g. "refs/heads/main", "refs/tags/**".'),
              workflow: globList.optional().describe("Allowed `workflow` claim(s) (the workflow's name)."),
            })
            .describe("Claim policy; a token must match every listed claim."),
        })
        .optional()
        .describe("Accept GitHub Actions OIDC tokens on POST /v1/signatures."),
    })
    .prefault({})
    .describe("Who may call the REST API's signing endpoint.");
}

const serverSchema = z
  .strictObject({
    host: z.string().min(1).default("127.0.0.1").describe("Listen address. Default loopback only."),
    port: z.number().int().min(0).max(65535).default(8080).describe("Listen port (0: any free port)."),
  })
  .prefault({})
  .describe("The HTTP listener of `countersign serve`.");

const queueSchema = z
  .strictObject({
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(4)
      .describe("Attach jobs run at once (Node in-process queue)."),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe("Attempts before a job is dead-lettered."),
    attemptTimeoutMs: z
      .number()
      .int()
      .min(1_000)
      .max(15 * 60_000)
      .default(DEFAULT_ATTEMPT_TIMEOUT_MS)
      .describe(
        "Deadline of one job attempt: its registry requests are aborted then, and the job is retried after its backoff (what was signed stays signed). Each request also has its own limits: 20 s to the first byte, 30 s for a whole answer, 30 s of silence in a download.",
      ),
    drainMs: z
      .number()
      .int()
      .min(0)
      .max(10 * 60_000)
      .default(DEFAULT_DRAIN_MS)
      .describe(
        "On shutdown (SIGTERM), how long running jobs may finish before their requests are aborted; they resume at the next start.",
      ),
    backoff: z
      .strictObject({
        initialMs: z.number().int().min(1).default(1_000).describe("Delay before the first retry."),
        maxMs: z.number().int().min(1).default(60_000).describe("Longest delay between retries."),
        factor: z.number().min(1).max(10).default(2).describe("Multiplier per attempt."),
      })
      .prefault({})
      .refine((backoff) => backoff.maxMs >= backoff.initialMs, {
        error: "maxMs must be at least initialMs",
        path: ["maxMs"],
      })
      .describe("Exponential backoff (with jitter) between attempts."),
  })
  .prefault({})
  .describe("Retries of attach jobs.");

/** The configuration schema; secrets are resolved through `resolver` while parsing (parseAsync). */
export function configSchema(resolver: SecretResolver) {
  return z
    .strictObject({
      $schema: z.string().optional().describe("Editor hint: the JSON Schema of this file. Ignored."),
      registries: z
        .array(registrySchema(resolver))
        .max(100)
        .prefault(() => structuredClone(EMBEDDED_DEFAULTS.registries))
        .describe(
          `Registries Countersign may talk to. Default: ${EMBEDDED_DEFAULTS.registries.map((r) => r.host).join(", ")}.`,
        ),
      webhooks: z
        .array(webhookSchema(resolver))
        .max(100)
        .prefault(() => structuredClone(EMBEDDED_DEFAULTS.webhooks))
        .describe(
          'Webhook sources. Default: one "distribution" webhook without authentication, for loopback registries only.',
        ),
      signer: signerSchema.prefault({}),
      formats: formatsSchema,
      policy: policySchema.prefault({}),
      api: apiSchema(resolver),
      dataDir: z
        .string()
        .min(1)
        .default(".countersign")
        .describe(
          "Directory of Countersign's state on Node: the generated key (signing-key.pem), its self-signed Notary certificate (signing-cert.pem) and the SQLite store (countersign.db). A relative path, here as in signer, is relative to the directory of the configuration file, not the working directory; without a file, to the working directory.",
        ),
      server: serverSchema,
      queue: queueSchema,
      timestamp: timestampSchema(resolver),
      verification: verificationSchema(resolver),
    })
    .superRefine((config, ctx) => {
      unique(
        config.registries.map((r) => canonicalHost(r.host)),
        "registries",
        "host",
        ctx,
      );
      unique(
        config.webhooks.map((w) => w.name),
        "webhooks",
        "name",
        ctx,
      );
      checkWebhookRegistries(config.webhooks, config.registries, ctx);
    })
    .describe(`Countersign configuration. ${EMBEDDED_DEFAULTS_SUMMARY}`);
}

export type ConfigSchema = ReturnType<typeof configSchema>;
/** The parsed configuration, secrets resolved. */
export type Config = z.output<ConfigSchema>;
/** What a configuration file may contain. */
export type ConfigInput = z.input<ConfigSchema>;
export type RegistryConfig = Config["registries"][number];
export type PolicyConfig = Config["policy"];

function canonicalHost(host: string): string | undefined {
  const parsed = parseRegistryHostPattern(host);
  return "pattern" in parsed ? formatRegistryHostPattern(parsed.pattern) : undefined;
}

function unique(
  values: readonly (string | undefined)[],
  section: string,
  field: string,
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (value === undefined) return;
    if (seen.has(value))
      ctx.addIssue({ code: "custom", path: [section, i, field], message: `duplicate ${field}` });
    seen.add(value);
  });
}
