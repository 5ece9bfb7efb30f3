// Repository, tag and claim patterns in configuration. `*` matches any run of characters within one
// `/`-separated segment, `**` as a whole segment matches zero or more segments, everything else is
// literal (no `?`, classes or braces: fewer surprises in a security policy). Matching is a greedy scan
// with single-star backtracking, O(pattern × value) at worst and never a regular expression, so hostile
// values cannot cause catastrophic backtracking.

/** Longest pattern accepted in configuration, and longest value ever matched (a repository is ≤ 255). */
export const MAX_GLOB_LENGTH = 512;
const MAX_VALUE_LENGTH = 1024;

export interface Glob {
  readonly source: string;
  matches(value: string): boolean;
}

type Segment =
  | { readonly kind: "globstar" }
  | { readonly kind: "segment"; readonly parts: readonly string[] };

/** Why `pattern` is not a usable glob, or undefined. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return "empty pattern";
  if (pattern.length > MAX_GLOB_LENGTH) return `pattern longer than ${MAX_GLOB_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
  if (/[\s\u0000-\u001f\u007f]/.test(pattern)) return "pattern contains whitespace or control characters";
  if (pattern.split("/").some((segment) => segment === ""))
    return "empty path segment (leading, trailing or '//')";
  return undefined;
}

export function compileGlob(pattern: string): Glob {
  const segments: Segment[] = pattern
    .split("/")
    // Collapse runs of `**`: `**/**` means the same as `**`.
    .filter((segment, i, all) => !(segment === "**" && all[i - 1] === "**"))
    .map((segment) =>
      segment === "**"
        ? { kind: "globstar" }
        : { kind: "segment", parts: segment.replace(/\*+/g, "*").split("*") },
    );
  return {
    source: pattern,
    matches(value: string): boolean {
      if (value.length > MAX_VALUE_LENGTH) return false;
      return matchSequence(segments, value.split("/"), (s) => s.kind === "globstar", segmentMatches);
    },
  };
}

export function globMatches(pattern: string, value: string): boolean {
  return compileGlob(pattern).matches(value);
}

/** True when any pattern matches. */
export function anyGlobMatches(globs: readonly Glob[], value: string): boolean {
  return globs.some((glob) => glob.matches(value));
}

function segmentMatches(segment: Segment, value: string): boolean {
  if (segment.kind === "globstar") return true;
  const { parts } = segment;
  if (parts.length === 1) return parts[0] === value;
  // parts = literal pieces between stars: first must be a prefix, last a suffix, the middle in order.
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last))
    return false;
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i]!, at);
    if (found === -1 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}

/**
 * Wildcard matching of `tokens` against `items`, where star tokens match any run of items and other
 * tokens exactly one. The classic greedy algorithm: on a mismatch, resume from the last star with one
 * more item consumed by it; earlier stars never need revisiting.
 */
function matchSequence<Token, Item>(
  tokens: readonly Token[],
  items: readonly Item[],
  isStar: (token: Token) => boolean,
  matchesOne: (token: Token, item: Item) => boolean,
): boolean {
  let t = 0;
  let i = 0;
  let starToken = -1;
  let starItem = 0;
  while (i < items.length) {
    const token = tokens[t];
    if (token !== undefined && !isStar(token) && matchesOne(token, items[i]!)) {
      t++;
      i++;
    } else if (token !== undefined && isStar(token)) {
      starToken = t++;
      starItem = i;
    } else if (starToken !== -1) {
      t = starToken + 1;
      i = ++starItem;
    } else {
      return false;
    }
  }
  while (t < tokens.length && isStar(tokens[t]!)) t++;
  return t === tokens.length;
}
