import { beforeAll, describe, expect, it } from "vitest";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { DOC_STACKS, stackMonitoring, type StackMonitoring } from "../../scripts/docs/alerts";
import { lintTypes, recordedTypes } from "../harness/promqlLint";
import { selectorUses } from "../harness/promql";

// The rules and dashboards read every metric as its real exporter types it (the TYPE
// lines recorded in test/fixtures/metrics): rate() and its kin over counters only, and
// no counter compared or shown as it is. pint, which checks this against a live
// Prometheus, is not served by the Go module proxy here; this is its equivalent on the
// recordings.

const monitoring = new Map<string, StackMonitoring>();
beforeAll(async () => {
  for (const stack of DOC_STACKS) monitoring.set(stack, await stackMonitoring(stack));
});

describe.each(DOC_STACKS)("the %s stack's rules and dashboards", (stack) => {
  it("use counters through rate(), irate(), increase() or resets() only, and those over counters only", () => {
    expect(lintTypes(monitoring.get(stack)!.mixins)).toEqual([]);
  });
});

describe("the lint itself", () => {
  const types = recordedTypes();
  const probe = (expr: string): MonitoringMixin[] => [{ name: "probe", scrapeTargets: [], dashboards: [], ruleGroups: [{ name: "probe", rules: [{ record: "probe:x", expr }] }] }];

  it("knows the recorded types", () => {
    expect(types.redis_keyspace_hits_total).toBe("counter");
    expect(types.redis_memory_used_bytes).toBe("gauge");
    expect(types.prometheus_config_last_reload_successful).toBe("gauge");
  });

  it("fails rate() over a gauge", () => {
    expect(lintTypes(probe("rate(redis_memory_used_bytes[5m])"), types)).toEqual([
      "probe record probe:x: rate() over redis_memory_used_bytes, a gauge: it only makes sense over a counter",
    ]);
  });

  it("fails a counter compared as it is, and accepts it through increase() or absent()", () => {
    expect(lintTypes(probe("redis_keyspace_hits_total > 100"), types)).toEqual([
      expect.stringMatching(/redis_keyspace_hits_total, a counter, is used as it is: .* needs rate\(\) or increase\(\)/),
    ]);
    expect(lintTypes(probe("increase(redis_keyspace_hits_total[1h]) > 100 or absent(redis_keyspace_hits_total)"), types)).toEqual([]);
  });

  it("reads which function each selector feeds, through range selectors and subqueries", () => {
    expect(selectorUses("sum(rate(a[5m])) / b + max_over_time(c[1h:5m]) + absent(d)")).toEqual([
      { metric: "a", fn: "rate" },
      { metric: "b", fn: undefined },
      { metric: "c", fn: "max_over_time" },
      { metric: "d", fn: "absent" },
    ]);
  });
});
