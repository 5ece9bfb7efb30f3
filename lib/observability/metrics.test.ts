import { describe, expect, it } from "vitest";
import { MetricsRegistry } from "./metrics.ts";

describe("MetricsRegistry", () => {
  it("renders counters with escaped label values (exposition format 0.0.4)", () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter("requests_total", "Requests.\nBy path.", ["path"]);
    counter.inc({ path: 'a"b\\c\nd' });
    counter.inc({ path: 'a"b\\c\nd' }, 2);
    expect(registry.render()).toBe(
      '# HELP requests_total Requests.\\nBy path.\n# TYPE requests_total counter\nrequests_total{path="a\\"b\\\\c\\nd"} 3\n',
    );
  });

  it("renders histograms with cumulative buckets, +Inf, sum and count", () => {
    const registry = new MetricsRegistry();
    const histogram = registry.histogram("latency_seconds", "Latency.", [], [0.1, 1]);
    for (const value of [0.05, 0.5, 0.5, 3]) histogram.observe({}, value);
    expect(registry.render()).toBe(
      [
        "# HELP latency_seconds Latency.",
        "# TYPE latency_seconds histogram",
        'latency_seconds_bucket{le="0.1"} 1',
        'latency_seconds_bucket{le="1"} 3',
        'latency_seconds_bucket{le="+Inf"} 4',
        "latency_seconds_sum 4.05",
        "latency_seconds_count 4",
        "",
      ].join("\n"),
    );
  });

  it("refuses bad names, decreasing counters and duplicate registration", () => {
    const registry = new MetricsRegistry();
    expect(() => registry.counter("bad-name", "x")).toThrow(TypeError);
    expect(() => registry.histogram("h", "x", ["le"])).toThrow(TypeError);
    const counter = registry.counter("c_total", "x");
    expect(() => counter.inc({}, -1)).toThrow(RangeError);
    expect(() => registry.counter("c_total", "x")).toThrow(TypeError);
  });

  it("folds label values past the series cap into one overflow series", () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter("c_total", "x", ["k"]);
    for (let i = 0; i < 1005; i++) counter.inc({ k: String(i) });
    const lines = registry
      .render()
      .split("\n")
      .filter((line) => line.startsWith("c_total"));
    expect(lines).toHaveLength(1001);
    expect(lines).toContain('c_total{k="_other"} 5');
  });
});
