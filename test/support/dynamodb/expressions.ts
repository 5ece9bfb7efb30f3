// Condition, filter and key condition expressions (developer guide, "Condition and filter
// expressions, operators, and functions"): the grammar below, names and values through
// ExpressionAttributeNames/Values, and DynamoDB's checks that every placeholder used is defined and
// every one defined is used. Precedence, high to low: comparators, IN, BETWEEN, functions,
// parentheses, NOT, AND, OR.
//   condition ::= operand comparator operand | operand BETWEEN operand AND operand
//               | operand IN ( operand, … ) | function | condition AND condition
//               | condition OR condition | NOT condition | ( condition )
import type { AttributeValue } from "./attributes.ts";
import { validation } from "./errors.ts";

export type PathElement = string | number;

export type Operand =
  | { readonly kind: "path"; readonly path: readonly PathElement[] }
  | { readonly kind: "value"; readonly value: AttributeValue; readonly placeholder: string }
  | { readonly kind: "size"; readonly path: readonly PathElement[] };

export type Comparator = "=" | "<>" | "<" | "<=" | ">" | ">=";
export type FunctionName =
  | "attribute_exists"
  | "attribute_not_exists"
  | "attribute_type"
  | "begins_with"
  | "contains";

export type Condition =
  | { readonly kind: "compare"; readonly op: Comparator; readonly left: Operand; readonly right: Operand }
  | { readonly kind: "between"; readonly operand: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: "in"; readonly operand: Operand; readonly list: readonly Operand[] }
  | { readonly kind: "function"; readonly name: FunctionName; readonly args: readonly Operand[] }
  | { readonly kind: "and" | "or"; readonly left: Condition; readonly right: Condition }
  | { readonly kind: "not"; readonly operand: Condition };

const FUNCTIONS: readonly string[] = [
  "attribute_exists",
  "attribute_not_exists",
  "attribute_type",
  "begins_with",
  "contains",
] satisfies FunctionName[];
const COMPARATORS: readonly string[] = ["=", "<>", "<", "<=", ">", ">="] satisfies Comparator[];

/** The placeholders of one request, shared by all its expressions, tracking which were used. */
export class ExpressionAttributes {
  readonly #names: Readonly<Record<string, string>>;
  readonly #values: Readonly<Record<string, AttributeValue>>;
  readonly #usedNames = new Set<string>();
  readonly #usedValues = new Set<string>();

  constructor(names?: Record<string, string>, values?: Record<string, AttributeValue>, hasExpression = true) {
    if (names && Object.keys(names).length === 0)
      throw validation("ExpressionAttributeNames must not be empty");
    if (values && Object.keys(values).length === 0)
      throw validation("ExpressionAttributeValues must not be empty");
    if (!hasExpression && names) {
      throw validation("ExpressionAttributeNames can only be specified when using expressions");
    }
    if (!hasExpression && values) {
      throw validation("ExpressionAttributeValues can only be specified when using expressions");
    }
    this.#names = names ?? {};
    this.#values = values ?? {};
  }

  name(placeholder: string): string {
    const name = this.#names[placeholder];
    if (name === undefined) {
      throw validation(
        `An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`,
      );
    }
    this.#usedNames.add(placeholder);
    return name;
  }

  value(placeholder: string): AttributeValue {
    const value = this.#values[placeholder];
    if (value === undefined) {
      throw validation(
        `An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
      );
    }
    this.#usedValues.add(placeholder);
    return value;
  }

  /** Call after parsing every expression of the request. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.#names).filter((n) => !this.#usedNames.has(n));
    if (unusedNames.length > 0) {
      throw validation(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(", ")}}`,
      );
    }
    const unusedValues = Object.keys(this.#values).filter((v) => !this.#usedValues.has(v));
    if (unusedValues.length > 0) {
      throw validation(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(", ")}}`,
      );
    }
  }
}

interface Token {
  readonly kind: "name" | "value" | "ident" | "number" | "punct";
  readonly text: string;
}

const TOKEN =
  /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(<>|<=|>=|[=<>(),.[\]]))/y;

function tokenize(text: string, label: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) {
      if (text.slice(at).trim() === "") break;
      throw validation(
        `Invalid ${label}: Syntax error; token: "${text.slice(at).trim()[0]}", near: "${text.slice(at, at + 10).trim()}"`,
      );
    }
    const kinds = ["name", "value", "ident", "number", "punct"] as const;
    const index = match.slice(1).findIndex((group) => group !== undefined);
    tokens.push({ kind: kinds[index]!, text: match[index + 1]! });
  }
  return tokens;
}

/** Parses a condition (ConditionExpression, FilterExpression, KeyConditionExpression). */
export function parseCondition(text: string, attributes: ExpressionAttributes, label: string): Condition {
  if (text.trim() === "") throw validation(`Invalid ${label}: The expression can not be empty;`);
  const parser = new Parser(tokenize(text, label), attributes, label);
  const condition = parser.or();
  parser.expectEnd();
  return condition;
}

class Parser {
  readonly #tokens: readonly Token[];
  readonly #attributes: ExpressionAttributes;
  readonly #label: string;
  #at = 0;

  constructor(tokens: readonly Token[], attributes: ExpressionAttributes, label: string) {
    this.#tokens = tokens;
    this.#attributes = attributes;
    this.#label = label;
  }

  or(): Condition {
    let left = this.and();
    while (this.#keyword("OR")) left = { kind: "or", left, right: this.and() };
    return left;
  }

  and(): Condition {
    let left = this.not();
    while (this.#keyword("AND")) left = { kind: "and", left, right: this.not() };
    return left;
  }

  not(): Condition {
    if (this.#keyword("NOT")) return { kind: "not", operand: this.not() };
    return this.primary();
  }

  primary(): Condition {
    if (this.#punct("(")) {
      const inner = this.or();
      this.#expect(")");
      return inner;
    }
    const token = this.#peek();
    if (token?.kind === "ident" && FUNCTIONS.includes(token.text) && this.#peek(1)?.text === "(") {
      this.#at += 2;
      const args = this.#list();
      return { kind: "function", name: token.text as FunctionName, args };
    }
    const operand = this.operand();
    if (this.#keyword("BETWEEN")) {
      const low = this.operand();
      if (!this.#keyword("AND")) this.#fail();
      return { kind: "between", operand, low, high: this.operand() };
    }
    if (this.#keyword("IN")) {
      this.#expect("(");
      return { kind: "in", operand, list: this.#list() };
    }
    const op = this.#next();
    if (op?.kind !== "punct" || !COMPARATORS.includes(op.text)) this.#fail(op);
    return { kind: "compare", op: op!.text as Comparator, left: operand, right: this.operand() };
  }

  operand(): Operand {
    const token = this.#peek();
    if (token?.kind === "value") {
      this.#at++;
      return { kind: "value", value: this.#attributes.value(token.text), placeholder: token.text };
    }
    if (token?.kind === "ident" && token.text === "size" && this.#peek(1)?.text === "(") {
      this.#at += 2;
      const path = this.path();
      this.#expect(")");
      return { kind: "size", path };
    }
    if (token?.kind === "ident" && FUNCTIONS.includes(token.text)) this.#fail(token);
    return { kind: "path", path: this.path() };
  }

  path(): PathElement[] {
    const path: PathElement[] = [this.#attributeName()];
    for (;;) {
      if (this.#punct(".")) path.push(this.#attributeName());
      else if (this.#punct("[")) {
        const index = this.#next();
        if (index?.kind !== "number") this.#fail(index);
        path.push(Number(index!.text));
        this.#expect("]");
      } else return path;
    }
  }

  expectEnd(): void {
    if (this.#at < this.#tokens.length) this.#fail(this.#peek());
  }

  #attributeName(): string {
    const token = this.#next();
    if (token?.kind === "name") return this.#attributes.name(token.text);
    if (
      token?.kind === "ident" &&
      !["AND", "OR", "NOT", "BETWEEN", "IN"].includes(token.text.toUpperCase())
    ) {
      return token.text;
    }
    return this.#fail(token);
  }

  /** Comma-separated operands up to the closing parenthesis (the opening one already consumed). */
  #list(): Operand[] {
    const operands = [this.operand()];
    while (this.#punct(",")) operands.push(this.operand());
    this.#expect(")");
    return operands;
  }

  #keyword(word: string): boolean {
    const token = this.#peek();
    if (token?.kind !== "ident" || token.text.toUpperCase() !== word) return false;
    this.#at++;
    return true;
  }

  #punct(text: string): boolean {
    const token = this.#peek();
    if (token?.kind !== "punct" || token.text !== text) return false;
    this.#at++;
    return true;
  }

  #expect(text: string): void {
    if (!this.#punct(text)) this.#fail(this.#peek());
  }

  #peek(ahead = 0): Token | undefined {
    return this.#tokens[this.#at + ahead];
  }

  #next(): Token | undefined {
    return this.#tokens[this.#at++];
  }

  #fail(token?: Token): never {
    const near = token ? `token: "${token.text}"` : "unexpected end of input";
    throw validation(`Invalid ${this.#label}: Syntax error; ${near}`);
  }
}
