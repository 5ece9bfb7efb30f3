// The `webhooks[]` section. Each source kind's settings schema and summary are owned by its module in
// lib/webhooks; here they are wrapped so that secret fields also take `{ env }` / `{ file }` references,
// and the resolved settings come out exactly as `receiveWebhook` takes them.
import { z } from "zod";
import { secret as webhookSecret } from "../webhooks/header-credential.ts";
import {
  type WebhookSourceKind,
  type WebhookSourceSettings,
  webhookSourceKinds,
  webhookSources,
} from "../webhooks/index.ts";
import { urlToken } from "../webhooks/url-token.ts";
import { type SecretResolver, secretString } from "./secret.ts";

/** The fields that hold secrets in lib/webhooks schemas, recognised by identity. */
const SECRET_NODES: ReadonlySet<z.ZodType> = new Set<z.ZodType>([webhookSecret, urlToken]);

/**
 * Rebuilds `schema` with every secret node taking a secret reference resolved to a string. Walks the
 * shapes lib/webhooks uses (objects, unions, optional, default); anything else is kept as it is.
 */
function withSecretReferences(schema: z.ZodType, resolver: SecretResolver): z.ZodType {
  if (SECRET_NODES.has(schema)) return secretString(resolver, schema as z.ZodType<unknown, string>);
  if (schema instanceof z.ZodObject) {
    const changed: Record<string, z.ZodType> = {};
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const rewritten = withSecretReferences(field, resolver);
      if (rewritten !== field) changed[key] = rewritten;
    }
    return Object.keys(changed).length === 0 ? schema : schema.extend(changed);
  }
  if (schema instanceof z.ZodUnion) {
    const options = (schema.options as readonly z.ZodType[]).map((option) =>
      withSecretReferences(option, resolver),
    );
    return options.every((option, i) => option === schema.options[i])
      ? schema
      : z.union(options as [z.ZodType, ...z.ZodType[]]);
  }
  if (schema instanceof z.ZodOptional) {
    const inner = withSecretReferences(schema.unwrap() as z.ZodType, resolver);
    return inner === schema.unwrap() ? schema : inner.optional();
  }
  if (schema instanceof z.ZodDefault) {
    const inner = withSecretReferences(schema.unwrap() as z.ZodType, resolver);
    return inner === schema.unwrap() ? schema : inner.default(schema._zod.def.defaultValue as never);
  }
  return schema;
}

/** A webhook's name is its URL path segment: `POST /webhooks/<name>`. */
const webhookName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
    error: "must be 1-63 of [a-z0-9_-], starting with a letter or digit",
  })
  .describe("URL path segment: the registry delivers to POST /webhooks/<name>.");

const webhookRegistries = z
  .array(z.string())
  .min(1)
  .optional()
  .describe(
    "Registry hosts this webhook may report pushes for (same syntax as registries[].host). Default: every configured registry. Events naming any other host are refused.",
  );

export interface WebhookCommon {
  readonly name: string;
  readonly kind: WebhookSourceKind;
  /** As written; undefined means every configured registry. */
  readonly registries?: readonly string[];
}

/** `authenticated: false` only for a `distribution` webhook with `auth: "none"` serving loopback registries. */
export type WebhookConfig = WebhookCommon &
  (
    | { readonly authenticated: true; readonly settings: WebhookSourceSettings }
    | { readonly authenticated: false; readonly settings?: undefined }
  );

function webhookOfKind(kind: WebhookSourceKind, resolver: SecretResolver) {
  const source = webhookSources[kind];
  let settings = withSecretReferences(
    (source.settings as z.ZodObject).omit({ kind: true }),
    resolver,
  ) as z.ZodObject;
  if (kind === "distribution") {
    // `auth: "none"`, the embedded default: only for registries on this machine (the configuration
    // schema checks `registries`), which nobody else's webhook can speak for.
    settings = settings.extend({ auth: z.union([z.literal("none"), settings.shape.auth as z.ZodType]) });
  }
  return z.strictObject({
    name: webhookName,
    kind: z.literal(kind),
    settings: settings.describe(source.summary),
    registries: webhookRegistries,
  });
}

export function webhookSchema(resolver: SecretResolver) {
  const [first, ...rest] = webhookSourceKinds.map((kind) => webhookOfKind(kind, resolver));
  return z
    .discriminatedUnion("kind", [first!, ...rest], {
      error: (issue) =>
        issue.code === "invalid_union" ? `kind must be one of ${webhookSourceKinds.join(", ")}` : undefined,
    })
    .transform(({ settings, ...common }): WebhookConfig => {
      if ((settings as { auth?: unknown }).auth === "none") return { ...common, authenticated: false };
      const webhook = { ...common, authenticated: true as const };
      // The sources take secrets as plain strings; non-enumerable, they stay out of JSON.stringify,
      // console.log and object spreads of the configuration, and are read only by name.
      Object.defineProperty(webhook, "settings", {
        value: { ...settings, kind: common.kind } as WebhookSourceSettings,
        enumerable: false,
      });
      return webhook as WebhookConfig;
    })
    .describe("A webhook source: where one registry (or registry service) sends its push notifications.");
}
