// What every handler of the app can read from the Hono context.

import type { Logger } from "../observability/logger.ts";
import type { Caller } from "./api-auth.ts";

export interface AppEnv {
  Variables: {
    /** Echoed as `X-Request-Id` and as `instance` of problem responses. */
    requestId: string;
    /** The app's logger bound to this request's id. */
    log: Logger;
    /** Set by the auth middleware when the request carried valid credentials. */
    caller: Caller | undefined;
  };
}
