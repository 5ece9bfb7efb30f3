// Tag listing (distribution-spec "Content Discovery: Listing Tags"), following `Link: <…>; rel="next"`.
import { z } from "zod";
import { RegistryProtocolError } from "../errors.ts";
import { nextLink } from "./link.ts";
import type { RepositoryContext } from "./repository-context.ts";
import { tagsUrl } from "./routes.ts";
import type { RegistryRequest } from "./transport.ts";

const TagList = z
  .object({ name: z.string().optional(), tags: z.array(z.string()).nullable().optional() })
  .loose();

/** A runaway `Link` chain (a registry linking to itself) stops here. */
const MAX_PAGES = 10_000;

/** All tags, page by page (`n` = `pageSize` when given). A repository the registry does not know has none. */
export async function listTags(ctx: RepositoryContext, pageSize?: number): Promise<string[]> {
  const tags: string[] = [];
  const seen = new Set<string>();
  let url: string | undefined = tagsUrl(ctx, pageSize);
  for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
    if (seen.has(url)) break;
    seen.add(url);
    const request: RegistryRequest = { operation: "tags.list", method: "GET", url, scopes: ctx.pullScopes };
    const response = await ctx.transport.requestBytes(request, 16 * 1024 * 1024);
    if (response.status === 404 && page === 0) {
      const error = await ctx.transport.errorFrom(request, response);
      if (error.hasCode("NAME_UNKNOWN")) return [];
      throw error;
    }
    if (response.status !== 200) throw await ctx.transport.errorFrom(request, response);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(response.bytes));
    } catch (error) {
      throw new RegistryProtocolError(`tags of ${ctx.repository}: response is not JSON`, { cause: error });
    }
    const parsed = TagList.safeParse(body);
    if (!parsed.success)
      throw new RegistryProtocolError(`tags of ${ctx.repository}: unexpected response shape`);
    tags.push(...(parsed.data.tags ?? []));
    url = nextLink(response.headers.get("link"), url);
  }
  return tags;
}
