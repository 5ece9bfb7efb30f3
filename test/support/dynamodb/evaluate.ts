// Evaluates a parsed condition against an item (an absent item is an item with no attributes).
// Missing attributes and mismatched types follow DynamoDB: every comparison with a missing operand or
// operands of different types is false, except `<>`, which is then true.
import { type AttributeValue, compare, equal, type Item, setHas, sizeOf, typeOf } from "./attributes.ts";
import type { Condition, Operand, PathElement } from "./expressions.ts";

export function evaluate(condition: Condition, item: Item | undefined): boolean {
  const attributes = item ?? {};
  switch (condition.kind) {
    case "and":
      return evaluate(condition.left, item) && evaluate(condition.right, item);
    case "or":
      return evaluate(condition.left, item) || evaluate(condition.right, item);
    case "not":
      return !evaluate(condition.operand, item);
    case "compare":
      return compareOperands(
        condition.op,
        resolve(condition.left, attributes),
        resolve(condition.right, attributes),
      );
    case "between": {
      const value = resolve(condition.operand, attributes);
      return (
        compareOperands(">=", value, resolve(condition.low, attributes)) &&
        compareOperands("<=", value, resolve(condition.high, attributes))
      );
    }
    case "in": {
      const value = resolve(condition.operand, attributes);
      return condition.list.some((candidate) => compareOperands("=", value, resolve(candidate, attributes)));
    }
    case "function":
      return callFunction(condition.name, condition.args, attributes);
  }
}

function callFunction(name: string, args: readonly Operand[], item: Item): boolean {
  const [first, second] = args.map((arg) => resolve(arg, item));
  switch (name) {
    case "attribute_exists":
      return first !== undefined;
    case "attribute_not_exists":
      return first === undefined;
    case "attribute_type":
      return first !== undefined && second !== undefined && "S" in second && typeOf(first) === second.S;
    case "begins_with":
      if (first === undefined || second === undefined) return false;
      if ("S" in first && "S" in second) return first.S.startsWith(second.S);
      if ("B" in first && "B" in second) {
        const prefix = Buffer.from(second.B, "base64");
        return Buffer.from(first.B, "base64").subarray(0, prefix.length).equals(prefix);
      }
      return false;
    case "contains":
      if (first === undefined || second === undefined) return false;
      if ("S" in first && "S" in second) return first.S.includes(second.S);
      if ("L" in first) return first.L.some((element) => equal(element, second));
      return setHas(first, second);
    default:
      return false;
  }
}

function compareOperands(
  op: string,
  left: AttributeValue | undefined,
  right: AttributeValue | undefined,
): boolean {
  if (left === undefined || right === undefined) return op === "<>";
  if (op === "=") return equal(left, right);
  if (op === "<>") return !equal(left, right);
  const order = compare(left, right);
  if (order === undefined) return false;
  if (op === "<") return order < 0;
  if (op === "<=") return order <= 0;
  if (op === ">") return order > 0;
  return order >= 0;
}

export function resolve(operand: Operand, item: Item): AttributeValue | undefined {
  if (operand.kind === "value") return operand.value;
  const value = valueAt(item, operand.path);
  if (operand.kind === "path" || value === undefined) return value;
  const size = sizeOf(value);
  return size === undefined ? undefined : { N: String(size) };
}

export function valueAt(item: Item, path: readonly PathElement[]): AttributeValue | undefined {
  let value: AttributeValue | undefined = { M: item };
  for (const element of path) value = child(value, element);
  return value;
}

function child(value: AttributeValue | undefined, element: PathElement): AttributeValue | undefined {
  if (value === undefined) return undefined;
  if (typeof element === "number") return "L" in value ? value.L[element] : undefined;
  return "M" in value ? value.M[element] : undefined;
}
