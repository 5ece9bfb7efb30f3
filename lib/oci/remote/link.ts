// `Link` headers (RFC 8288) as registries use them for pagination: `</v2/x/tags/list?last=a&n=2>; rel="next"`.

/** The absolute URL of the `rel="next"` link, resolved against the request URL, if any. */
export function nextLink(header: string | null, requestUrl: string): string | undefined {
  if (header === null) return undefined;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]*)*)/g)) {
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (relations.includes("next")) return new URL(match[1] ?? "", requestUrl).href;
  }
  return undefined;
}
