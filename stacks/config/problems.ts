import type { z } from "zod";

// Turns zod issues into one line per problem: `<key path>: found <value>; expected <allowed>`.
// Schema messages already are the "expected ..." half; this file supplies it for zod's
// built-in checks, adds the path and the value found, and never prints a secret.

type Issue = z.core.$ZodIssue;
type Path = PropertyKey[];

const REDACTED = "[secret]";

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** The "expected ..." half for zod's built-in issue codes; passed to safeParse as its error map. */
export function expectedFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected === "int" ? "expected a whole number" : `expected ${article(String(issue.expected))}`;
    case "too_small": {
      const bound = `${issue.inclusive === false ? "more than" : "at least"} ${issue.minimum}`;
      if (issue.origin === "string") return `expected ${bound} characters`;
      if (issue.origin === "array") return `expected ${bound} entries`;
      return `expected a value of ${bound}`;
    }
    case "too_big": {
      const bound = `${issue.inclusive === false ? "less than" : "at most"} ${issue.maximum}`;
      if (issue.origin === "string") return `expected ${bound} characters`;
      if (issue.origin === "array") return `expected ${bound} entries`;
      return `expected a value of ${bound}`;
    }
    case "invalid_value":
      return `expected ${issue.values.length === 1 ? "" : "one of "}${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_format":
      return `expected ${issue.format} format`;
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return "expected only known keys";
    default:
      return undefined;
  }
}

export function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === REDACTED) return REDACTED;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value !== null && typeof value === "object") return "an object";
  return JSON.stringify(value);
}

export function pathText(path: Path): string {
  return path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "");
}

export function isUnder(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((key, i) => path[i] === key);
}

export interface ProblemContext {
  /** The raw config the schema saw, to report what was found. */
  input: unknown;
  /** Paths whose values are secrets: reported as [secret], never printed. */
  secretPaths: Path[];
}

function line(path: Path, expected: string, context: ProblemContext, found?: string): string {
  const secret = context.secretPaths.some((p) => isUnder(path, p));
  const foundText = found ?? (secret ? REDACTED : describeValue(valueAt(context.input, path)));
  return `${pathText(path) || "(top level)"}: found ${foundText}; ${expected}`;
}

function linesFor(issue: Issue, prefix: Path, context: ProblemContext): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => line([...path, key], issue.message, context, "an unknown key"));
  }
  if (issue.code === "invalid_union" && valueAt(context.input, path) !== null && typeof valueAt(context.input, path) === "object") {
    // For an object, the branch that got past the top-level type check says what is wrong inside it.
    const inner = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
    if (inner) return inner.flatMap((i) => linesFor(i, path, context));
  }
  return [line(path, issue.message, context, effectiveValue(issue, path, context))];
}

/**
 * A rule that checks a value the stack file may not set (a default, or a preset's part)
 * passes it as params.value: "found 256MB (a default or preset)" says more than "found nothing".
 */
function effectiveValue(issue: Issue, path: Path, context: ProblemContext): string | undefined {
  const value = issue.code === "custom" ? (issue.params as { value?: unknown } | undefined)?.value : undefined;
  if (value === undefined || valueAt(context.input, path) !== undefined) return undefined;
  return `${describeValue(value)} (a default or preset)`;
}

/** One line per problem, sorted so that the output is stable and easy to scan. */
export function describeProblems(issues: Issue[], context: ProblemContext): string[] {
  const lines = issues.flatMap((i) => linesFor(i, [], context));
  return [...new Set(lines)].sort();
}
