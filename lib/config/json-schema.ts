// The JSON Schema of the configuration file (`countersign config schema`), for editors and CI checks.
// Generated from the zod schema's input side, so defaults and secret references appear as written.
import { z } from "zod";
import { configSchema } from "./schema.ts";
import { unresolvedSecrets } from "./secret.ts";

export const CONFIG_SCHEMA_ID = "https://countersign.dev/schemas/config.json";

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema(unresolvedSecrets), {
    io: "input",
    target: "draft-2020-12",
    // Refinements (glob and host grammar, uniqueness) cannot be expressed; the loader still checks them.
    unrepresentable: "any",
  });
  return { ...schema, $id: CONFIG_SCHEMA_ID, title: "Countersign configuration" };
}
