// What `zod` resolves to in the Worker bundle (wrangler.toml [alias]): zod 4's public API without its
// ~50 locale modules. @hono/zod-openapi passes the `z` namespace to extendZodWithOpenApi as a value,
// so esbuild keeps every export of it, locales included: about 68 KB of the gzip bundle, for error
// messages in languages the service never selects (English is registered by schemas.js itself).
// zod-api.ts mirrors zod 4's v4/classic/external.js except `locales`; a zod upgrade that moves these files fails
// the Worker build (test/e2e/workers-service.test.ts), not silently.
import * as z from "./zod-api.ts";

export * from "./zod-api.ts";
export { z, z as default };
