// What `zod` resolves to in the Worker bundle (wrangler.toml [alias]): zod 4's public API without its
// ~50 locale modules. @hono/zod-openapi passes the `z` namespace to extendZodWithOpenApi as a value,
// so esbuild keeps every export of it, locales included: 39 KiB of the gzip bundle (309 → 270 KiB as
// wrangler measures), for messages in languages the service never selects (schemas.js registers
// English). zod-api.ts mirrors zod 4's v4/classic/external.js except `locales`: a zod upgrade that
// moves those files breaks the Worker build, and test/e2e/workers-bundle.test.ts checks the locales
// stay out.
import * as z from "./zod-api.ts";

export * from "./zod-api.ts";
export { z, z as default };
