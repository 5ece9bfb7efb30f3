// `WWW-Authenticate` parsing (RFC 9110 §11.6.1 and §11.2): one header may carry several challenges, and
// parameter values may be quoted strings containing commas and escaped quotes, as Bearer scopes do
// (`scope="repository:a:pull,push"`), so the header is tokenised rather than split on commas.

export interface Challenge {
  /** Lowercase: `basic`, `bearer`. */
  readonly scheme: string;
  /** Parameter names lowercase, values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  const cursor = { text: header, pos: 0 };
  for (;;) {
    skip(cursor, /[\s,]/);
    const scheme = readToken(cursor);
    if (scheme.length === 0) break;
    const params: Record<string, string> = {};
    for (;;) {
      skip(cursor, /[\s,]/);
      const start = cursor.pos;
      const name = readToken(cursor);
      skip(cursor, /[ \t]/);
      const next = cursor.text[cursor.pos];
      const isParam = name.length > 0 && next === "=" && cursor.text[cursor.pos + 1] !== "=";
      if (!isParam) {
        if (name.length > 0 && Object.keys(params).length === 0 && isToken68End(cursor)) {
          continue; // a token68 credential blob (`Negotiate abc==`): carries nothing for us
        }
        cursor.pos = start; // the next challenge's scheme
        break;
      }
      cursor.pos++;
      skip(cursor, /[ \t]/);
      // Unquoted values should be tokens, but some servers send bare URLs: read up to a comma or space.
      params[name.toLowerCase()] = cursor.text[cursor.pos] === '"' ? readQuoted(cursor) : readBare(cursor);
    }
    challenges.push({ scheme: scheme.toLowerCase(), params });
    if (cursor.pos >= cursor.text.length) break;
  }
  return challenges;
}

interface Cursor {
  readonly text: string;
  pos: number;
}

function skip(cursor: Cursor, chars: RegExp): void {
  while (cursor.pos < cursor.text.length && chars.test(cursor.text[cursor.pos]!)) cursor.pos++;
}

function readToken(cursor: Cursor): string {
  const start = cursor.pos;
  while (cursor.pos < cursor.text.length && TOKEN_CHAR.test(cursor.text[cursor.pos]!)) cursor.pos++;
  return cursor.text.slice(start, cursor.pos);
}

/** After a token: `=`* padding then end of header or a comma means the token was a token68. */
function isToken68End(cursor: Cursor): boolean {
  const rest = cursor.text.slice(cursor.pos);
  const match = /^=*\s*(,|$)/.exec(rest);
  if (match === null) return false;
  cursor.pos += match[0].length - (match[1] === "," ? 1 : 0);
  return true;
}

function readBare(cursor: Cursor): string {
  const start = cursor.pos;
  while (cursor.pos < cursor.text.length && !/[\s,]/.test(cursor.text[cursor.pos]!)) cursor.pos++;
  return cursor.text.slice(start, cursor.pos);
}

function readQuoted(cursor: Cursor): string {
  let out = "";
  cursor.pos++; // opening quote
  while (cursor.pos < cursor.text.length) {
    const char = cursor.text[cursor.pos++]!;
    if (char === '"') return out;
    if (char === "\\" && cursor.pos < cursor.text.length) {
      out += cursor.text[cursor.pos++]!;
      continue;
    }
    out += char;
  }
  return out; // unterminated: take what there is
}
