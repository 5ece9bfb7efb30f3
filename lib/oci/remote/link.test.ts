import { describe, expect, it } from "vitest";
import { nextLink } from "./link.ts";

describe("nextLink", () => {
  const base = "http://r.io/v2/a/tags/list?n=2";
  it("resolves the next page against the request URL", () => {
    expect(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"', base)).toBe(
      "http://r.io/v2/a/tags/list?last=b&n=2",
    );
    expect(nextLink("<https://other/x?y=1,2>; rel=next", base)).toBe("https://other/x?y=1,2");
  });
  it("picks rel=next among several links and ignores others", () => {
    expect(nextLink('</prev>; rel="prev", </next>; title="x"; rel="next"', base)).toBe("http://r.io/next");
    expect(nextLink('</first>; rel="first"', base)).toBeUndefined();
    expect(nextLink(null, base)).toBeUndefined();
  });
});
