// Which registries each webhook may speak for. A webhook without authentication (`auth: "none"`) can be
// called by anyone who reaches the port, so it may only name registries on this machine: a forged
// event then makes, at worst, requests to a loopback registry.
import type { z } from "zod";
import { isLoopbackHost } from "../oci/loopback.ts";
import { parseRegistryHostPattern } from "./registry-host.ts";
import type { WebhookConfig } from "./webhooks.ts";

export function checkWebhookRegistries(
  webhooks: readonly WebhookConfig[],
  registries: readonly { readonly host: string }[],
  ctx: z.RefinementCtx,
): void {
  webhooks.forEach((webhook, i) => {
    webhook.registries?.forEach((host, j) => {
      const parsed = parseRegistryHostPattern(host);
      if ("problem" in parsed)
        ctx.addIssue({ code: "custom", path: ["webhooks", i, "registries", j], message: parsed.problem });
    });
    if (webhook.authenticated) return;
    const served = webhook.registries ?? registries.map((registry) => registry.host);
    const remote = served.filter((host) => {
      const parsed = parseRegistryHostPattern(host);
      return "pattern" in parsed && !isLoopbackHost(parsed.pattern.host);
    });
    if (remote.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["webhooks", i, "settings", "auth"],
        message: `"none" is only allowed for loopback registries, and this webhook serves ${remote.join(", ")}: configure auth or set registries to loopback hosts`,
      });
    }
  });
}
