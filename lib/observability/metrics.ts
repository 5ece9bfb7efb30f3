// A small metrics registry that renders the Prometheus text exposition format 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats). Counters and histograms only: that is all the
// service exports, and it keeps the bundle free of prom-client and of any runtime API.
// On Workers and Lambda each isolate keeps its own counts; Prometheus sums them per instance.

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels<Name extends string> = Readonly<Record<Name, string>>;

/** Label values seen per metric are bounded: a hostile input must not grow memory without end. */
const MAX_SERIES_PER_METRIC = 1000;
const OVERFLOW_VALUE = "_other";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// Exposition format: in HELP, `\` and newline are escaped; in label values, also `"`.
function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}
function escapeLabelValue(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
}

/** Go's strconv float formatting as Prometheus prints it: `+Inf`, `-Inf`, `NaN`, shortest decimal. */
function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

function labelText(names: readonly string[], values: readonly string[], extra?: string): string {
  const pairs = names.map((name, i) => `${name}="${escapeLabelValue(values[i]!)}"`);
  if (extra !== undefined) pairs.push(extra);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

abstract class Metric<Name extends string, Series> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly Name[];
  protected readonly series = new Map<string, { readonly values: string[]; readonly data: Series }>();

  constructor(name: string, help: string, labelNames: readonly Name[]) {
    if (!METRIC_NAME.test(name)) throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__") || label === "le") {
        throw new TypeError(`invalid label name ${JSON.stringify(label)} on ${name}`);
      }
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected abstract newSeries(): Series;
  abstract render(): string;

  protected seriesFor(labels: Labels<Name>): Series {
    let values = this.labelNames.map((name) => String(labels[name] ?? ""));
    let key = JSON.stringify(values);
    let entry = this.series.get(key);
    if (entry === undefined) {
      if (this.series.size >= MAX_SERIES_PER_METRIC) {
        values = this.labelNames.map(() => OVERFLOW_VALUE);
        key = JSON.stringify(values);
        entry = this.series.get(key);
      }
      if (entry === undefined) {
        entry = { values, data: this.newSeries() };
        this.series.set(key, entry);
      }
    }
    return entry.data;
  }

  protected header(type: string): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${type}\n`;
  }
}

export class Counter<Name extends string = never> extends Metric<Name, { value: number }> {
  protected newSeries(): { value: number } {
    return { value: 0 };
  }

  inc(labels: Labels<Name>, amount = 1): void {
    if (!(amount >= 0)) throw new RangeError(`counter ${this.name} can only increase`);
    this.seriesFor(labels).value += amount;
  }

  /** The current value (0 when never incremented), for tests and health output. */
  get(labels: Labels<Name>): number {
    const values = this.labelNames.map((name) => String(labels[name] ?? ""));
    return this.series.get(JSON.stringify(values))?.data.value ?? 0;
  }

  render(): string {
    let out = this.header("counter");
    for (const { values, data } of this.series.values()) {
      out += `${this.name}${labelText(this.labelNames, values)} ${formatNumber(data.value)}\n`;
    }
    return out;
  }
}

interface HistogramSeries {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Prometheus client defaults: 5 ms to 10 s, fit for request and job latencies. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram<Name extends string = never> extends Metric<Name, HistogramSeries> {
  readonly buckets: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly Name[],
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (
      sorted.length === 0 ||
      sorted.some((bound, i) => !Number.isFinite(bound) || bound === sorted[i - 1])
    ) {
      throw new TypeError(`histogram ${name} needs distinct finite buckets`);
    }
    this.buckets = sorted;
  }

  protected newSeries(): HistogramSeries {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  observe(labels: Labels<Name>, value: number): void {
    const series = this.seriesFor(labels);
    // Buckets are stored non-cumulative and summed when rendered.
    const index = this.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) series.counts[index]! += 1;
    series.sum += value;
    series.count += 1;
  }

  render(): string {
    let out = this.header("histogram");
    for (const { values, data } of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += data.counts[i]!;
        out += `${this.name}_bucket${labelText(this.labelNames, values, `le="${formatNumber(bound)}"`)} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${labelText(this.labelNames, values, 'le="+Inf"')} ${data.count}\n`;
      out += `${this.name}_sum${labelText(this.labelNames, values)} ${formatNumber(data.sum)}\n`;
      out += `${this.name}_count${labelText(this.labelNames, values)} ${data.count}\n`;
    }
    return out;
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric<string, unknown>>();

  counter<Name extends string = never>(
    name: string,
    help: string,
    labelNames: readonly Name[] = [],
  ): Counter<Name> {
    return this.#register(new Counter<Name>(name, help, labelNames));
  }

  histogram<Name extends string = never>(
    name: string,
    help: string,
    labelNames: readonly Name[] = [],
    buckets?: readonly number[],
  ): Histogram<Name> {
    return this.#register(new Histogram<Name>(name, help, labelNames, buckets));
  }

  /** The whole exposition, metric families in registration order. */
  render(): string {
    return [...this.#metrics.values()].map((metric) => metric.render()).join("");
  }

  #register<M extends Metric<string, unknown>>(metric: M): M {
    if (this.#metrics.has(metric.name)) throw new TypeError(`metric ${metric.name} registered twice`);
    // The generic parameter only narrows label names; storage is uniform.
    this.#metrics.set(metric.name, metric as unknown as Metric<string, unknown>);
    return metric;
  }
}
