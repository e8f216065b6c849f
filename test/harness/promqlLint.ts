import type { MonitoringMixin } from "../../components/lib/mixin";
import { expressions, fixtureSources } from "./exporterCoverage";
import { readFixtureTypes, seriesType } from "./exposition";
import { selectorUses, typeMisuse } from "./promql";

// A linter over the rules and dashboards in the spirit of pint's promql/rate and
// promql/counter checks (pint itself is not served by the Go module proxy here): with
// the metric types the real exporters declare (the TYPE lines of test/fixtures/metrics),
// rate(), irate(), increase() and resets() must read counters, and a counter must not be
// compared or shown as it is.

/** Every recorded metric family's type, and those of the transcribed contracts. */
export function recordedTypes(): Record<string, string> {
  return Object.assign({}, ...fixtureSources().map(({ exporter, dir }) => readFixtureTypes(exporter, dir)));
}

/** The misuses in the mixins' rules and dashboards, each naming where it is. */
export function lintTypes(mixins: readonly MonitoringMixin[], types: Record<string, string> = recordedTypes()): string[] {
  return expressions(mixins).flatMap(({ where, expr }) =>
    selectorUses(expr)
      .flatMap((use) => typeMisuse(use, seriesType(types, use.metric)) ?? [])
      .map((p) => `${where}: ${p}`),
  );
}
