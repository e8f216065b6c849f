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
