// The Lambda functions' environment, as infra/ sets it (infra/lambda-environment.ts names the
// variables), parsed once at the edge so the rest of the adapter works with typed values.
import { z } from "zod";
import { LAMBDA_ENVIRONMENT } from "../../infra/lambda-environment.ts";
import { parseKmsKeyUri } from "../../lib/signing/key-uri.ts";

/**
 * Not set by the stack: the configuration document itself, for tests and local runs. It wins over
 * the secret, so a test never needs Secrets Manager.
 */
export const CONFIG_DOCUMENT_VARIABLE = "COUNTERSIGN_CONFIG";

/** Not set by the stack: seconds between re-reads of the configuration secret. Default 300. */
export const CONFIG_REFRESH_VARIABLE = "COUNTERSIGN_CONFIG_REFRESH_SECONDS";

// Five minutes: a changed secret reaches warm containers within that, and ten warm containers cost
// about 86,000 GetSecretValue calls a month ($0.43 at $0.05 per 10,000).
const DEFAULT_REFRESH_SECONDS = 300;

export type ConfigSource =
  | { readonly kind: "document"; readonly text: string }
  | { readonly kind: "secret"; readonly secretId: string; readonly refreshMs: number };

export interface LambdaEnvironment {
  readonly tableName: string;
  readonly queueUrl: string;
  /** `awskms://…`; undefined when the configuration names the key instead. */
  readonly kmsKeyUri: string | undefined;
  readonly config: ConfigSource;
}

export class LambdaEnvironmentError extends Error {
  override readonly name = "LambdaEnvironmentError";
}

const nonEmpty = z.string().trim().min(1);

const environmentSchema = z.object({
  [LAMBDA_ENVIRONMENT.tableName]: nonEmpty,
  [LAMBDA_ENVIRONMENT.queueUrl]: z.url({ protocol: /^https?$/ }),
  [LAMBDA_ENVIRONMENT.kmsKeyUri]: nonEmpty.optional(),
  [LAMBDA_ENVIRONMENT.configSecretName]: nonEmpty.optional(),
  [CONFIG_DOCUMENT_VARIABLE]: z.string().optional(),
  [CONFIG_REFRESH_VARIABLE]: z.coerce.number().int().min(0).max(86_400).optional(),
});

/** Reads the variables; the error names every missing or malformed one (values are never quoted). */
export function readLambdaEnvironment(env: Readonly<Record<string, string | undefined>>): LambdaEnvironment {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
    throw new LambdaEnvironmentError(`invalid or missing environment variables: ${names.join(", ")}`);
  }
  const vars = parsed.data;
  const kmsKeyUri = vars[LAMBDA_ENVIRONMENT.kmsKeyUri];
  if (kmsKeyUri !== undefined) {
    try {
      parseKmsKeyUri(kmsKeyUri);
    } catch (error) {
      throw new LambdaEnvironmentError(`${LAMBDA_ENVIRONMENT.kmsKeyUri} is not an awskms:// key URI`, {
        cause: error,
      });
    }
  }
  return {
    tableName: vars[LAMBDA_ENVIRONMENT.tableName],
    queueUrl: vars[LAMBDA_ENVIRONMENT.queueUrl],
    kmsKeyUri,
    config: configSource(vars),
  };
}

function configSource(vars: Readonly<Record<string, string | number | undefined>>): ConfigSource {
  const text = vars[CONFIG_DOCUMENT_VARIABLE];
  if (typeof text === "string" && text.trim() !== "") return { kind: "document", text };
  const secretId = vars[LAMBDA_ENVIRONMENT.configSecretName];
  if (typeof secretId === "string") {
    const refresh = vars[CONFIG_REFRESH_VARIABLE];
    const seconds = typeof refresh === "number" ? refresh : DEFAULT_REFRESH_SECONDS;
    return { kind: "secret", secretId, refreshMs: seconds * 1000 };
  }
  throw new LambdaEnvironmentError(
    `no configuration: set ${LAMBDA_ENVIRONMENT.configSecretName} (the stack does) or ${CONFIG_DOCUMENT_VARIABLE}`,
  );
}
