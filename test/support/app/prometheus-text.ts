// A strict reader of the Prometheus text exposition format 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats): throws on any line the format does not allow,
// so a test that parses /metrics also checks its syntax.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?[0-9]+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`bad value in ${JSON.stringify(line)}`);
  return value;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = LABEL.exec(rest);
    if (!match) throw new Error(`bad labels in ${JSON.stringify(line)}`);
    const [whole, name, raw] = match;
    if (name! in labels) throw new Error(`repeated label ${name} in ${JSON.stringify(line)}`);
    labels[name!] = raw!.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

/** The family a sample belongs to: histogram samples carry `_bucket`, `_sum`, `_count` suffixes. */
function familyOf(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const exact = families.get(name);
  if (exact) return exact;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(base);
  return family && (family.type === "histogram" || family.type === "summary") ? family : undefined;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  for (const line of text.split("\n").slice(0, -1)) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const comment = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
      if (!comment) continue;
      const [, kind, name, rest] = comment;
      if (kind === "HELP") {
        helps.set(name!, rest!);
      } else {
        if (!TYPES.has(rest!)) throw new Error(`bad type in ${JSON.stringify(line)}`);
        if (families.has(name!)) throw new Error(`second TYPE for ${name}`);
        families.set(name!, { name: name!, type: rest!, help: helps.get(name!) ?? "", samples: [] });
      }
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = match;
    const family = familyOf(name!, families);
    if (!family) throw new Error(`sample ${name} has no TYPE line before it`);
    family.samples.push({
      name: name!,
      labels: parseLabels(labelText ?? "", line),
      value: parseValue(valueText!, line),
    });
  }
  for (const family of families.values()) {
    if (!helps.has(family.name)) throw new Error(`no HELP for ${family.name}`);
  }
  return families;
}

/** The value of the sample with exactly these labels, or undefined. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Readonly<Record<string, string>>,
): number | undefined {
  const family = familyOf(name, families);
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return family?.samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
  )?.value;
}
