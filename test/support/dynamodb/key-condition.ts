// A Query's KeyConditionExpression (developer guide, "Key condition expressions for Query"): an
// equality on the partition key, optionally AND one condition on the sort key (=, <, <=, >, >=,
// BETWEEN, begins_with). Anything else is the service's ValidationException.
import type { AttributeValue } from "./attributes.ts";
import { validation } from "./errors.ts";
import type { Condition, Operand } from "./expressions.ts";
import type { Table } from "./table.ts";

export interface KeyCondition {
  readonly hashValue: AttributeValue;
  /** The sort-key part, evaluated per item of the partition. */
  readonly rangeCondition?: Condition;
}

export function splitKeyCondition(condition: Condition, table: Table): KeyCondition {
  const { hash, range } = table.keySchema;
  let hashValue: AttributeValue | undefined;
  let rangeCondition: Condition | undefined;
  const parts = conjuncts(condition);
  if (parts.length > 2) throw validation("KeyConditionExpressions must only contain one condition per key");
  for (const part of parts) {
    const attribute = keyAttributeOf(part);
    if (attribute === hash && part.kind === "compare" && part.op === "=" && part.right.kind === "value") {
      hashValue = checkType(table, hash, part.right.value);
    } else if (attribute !== undefined && attribute === range && rangeCondition === undefined) {
      for (const value of valuesOf(part)) checkType(table, range, value);
      rangeCondition = part;
    } else {
      throw validation("Query key condition not supported");
    }
  }
  if (hashValue === undefined) throw validation(`Query condition missed key schema element: ${hash}`);
  return { hashValue, ...(rangeCondition === undefined ? {} : { rangeCondition }) };
}

function conjuncts(condition: Condition): Condition[] {
  if (condition.kind === "and") return [...conjuncts(condition.left), ...conjuncts(condition.right)];
  if (condition.kind === "or" || condition.kind === "not") {
    throw validation(`Invalid operator used in KeyConditionExpression: ${condition.kind.toUpperCase()}`);
  }
  return [condition];
}

/** The key attribute a supported key condition constrains; undefined when its shape is not one. */
function keyAttributeOf(part: Condition): string | undefined {
  const subject: Operand | undefined =
    part.kind === "compare" && part.op !== "<>"
      ? part.left
      : part.kind === "between"
        ? part.operand
        : part.kind === "function" && part.name === "begins_with"
          ? part.args[0]
          : undefined;
  if (subject?.kind !== "path" || subject.path.length !== 1 || typeof subject.path[0] !== "string")
    return undefined;
  return valuesOf(part).length > 0 ? subject.path[0] : undefined;
}

function valuesOf(part: Condition): AttributeValue[] {
  const operands =
    part.kind === "compare"
      ? [part.right]
      : part.kind === "between"
        ? [part.low, part.high]
        : part.kind === "function"
          ? part.args.slice(1)
          : [];
  return operands.every((o) => o.kind === "value")
    ? operands.map((o) => (o as { value: AttributeValue }).value)
    : [];
}

function checkType(table: Table, attribute: string, value: AttributeValue): AttributeValue {
  if (Object.keys(value)[0] !== table.attributeTypes[attribute]) {
    throw validation(
      "One or more parameter values were invalid: Condition parameter type does not match schema type",
    );
  }
  return value;
}
