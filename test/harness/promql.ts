import { parser } from "@prometheus-io/lezer-promql";

// The series a PromQL expression selects, read with Prometheus' own grammar (the Lezer
// parser its web UI uses): every vector selector's metric name and label matchers.

export interface LabelMatcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

export interface VectorSelector {
  metric: string;
  matchers: LabelMatcher[];
}

/** Every vector selector in `expr`; a syntax error throws, naming the expression. */
export function vectorSelectors(expr: string): VectorSelector[] {
  const tree = parser.parse(expr);
  const selectors: VectorSelector[] = [];
  let error: number | undefined;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) error ??= node.from;
      if (node.name !== "VectorSelector") return;
      const metric = node.node.getChild("Identifier");
      const matchers: LabelMatcher[] = [];
      for (const m of node.node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        const label = m.getChild("LabelName");
        const op = m.getChild("MatchOp");
        const value = m.getChild("StringLiteral");
        if (label && op && value)
          matchers.push({ label: expr.slice(label.from, label.to), op: expr.slice(op.from, op.to) as LabelMatcher["op"], value: JSON.parse(expr.slice(value.from, value.to)) });
      }
      selectors.push({ metric: metric ? expr.slice(metric.from, metric.to) : "", matchers });
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at ${error}: ${expr}`);
  return selectors;
}

/** Whether a matcher can only hold on a series that has the label (it rejects the empty value). */
export function needsLabel(m: LabelMatcher): boolean {
  const matchesEmpty =
    m.op === "=" ? m.value === "" : m.op === "!=" ? m.value !== "" : m.op === "=~" ? new RegExp(`^(?:${m.value})$`).test("") : !new RegExp(`^(?:${m.value})$`).test("");
  return !matchesEmpty;
}

/** Functions whose range argument must be a counter: they assume a value that only grows, and resets. */
export const COUNTER_FUNCTIONS = new Set(["rate", "irate", "increase", "resets"]);
/** Functions that may take a counter as it is: whether it exists, or when it last changed. */
const ANY_VALUE_FUNCTIONS = new Set(["absent", "absent_over_time", "present_over_time", "timestamp", "changes", "count_over_time", "last_over_time"]);

/** A vector selector and the function it is an argument of (a range selector's function), if any. */
export interface SelectorUse {
  metric: string;
  /** The function whose argument it is (through a range selector or directly); undefined at top level or under an operator or aggregation. */
  fn?: string;
}

/** Every vector selector in `expr` with the function it feeds. */
export function selectorUses(expr: string): SelectorUse[] {
  const uses: SelectorUse[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name !== "VectorSelector") return;
      const metric = node.node.getChild("Identifier");
      let parent = node.node.parent;
      if (parent?.name === "MatrixSelector" || parent?.name === "SubqueryExpr") parent = parent.parent;
      const call = parent?.name === "FunctionCallBody" ? parent.parent : null;
      const id = call?.getChild("FunctionIdentifier");
      uses.push({ metric: metric ? expr.slice(metric.from, metric.to) : "", fn: id ? expr.slice(id.from, id.to) : undefined });
    },
  });
  return uses;
}

/** Whether a metric of this type may be used as `use` does: counters through rate and its kin, gauges not. */
export function typeMisuse(use: SelectorUse, type: string | undefined): string | undefined {
  if (type === undefined || use.metric.includes(":")) return undefined;
  const counterLike = type === "counter" || type === "histogram" || type === "summary";
  if (use.fn !== undefined && COUNTER_FUNCTIONS.has(use.fn) && !counterLike) return `${use.fn}() over ${use.metric}, a ${type}: it only makes sense over a counter`;
  if (counterLike && !(use.fn !== undefined && (COUNTER_FUNCTIONS.has(use.fn) || ANY_VALUE_FUNCTIONS.has(use.fn))))
    return `${use.metric}, a ${type === "counter" ? "counter" : `${type}'s counter`}, is used ${use.fn ? `in ${use.fn}()` : "as it is"}: its value only grows until a restart resets it, so it needs rate() or increase()`;
  return undefined;
}
