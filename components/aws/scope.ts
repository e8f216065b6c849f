// What keeps one stack's AWS identities and keys apart from another's in a shared
// account. Every grant the stack's CI roles hold names one of these, never a pattern
// that another stack's names also match:
// - IAM paths: the workloads' roles and users under /blacklake/<stack>/, the CI roles and
//   their permissions boundary under /blacklake-ci/<stack>/ (outside what the deploy
//   role may change);
// - the tag blacklake:stack=<stack> on every KMS key, which the key grants require
//   (keys have no name to scope an ARN by);
// - the stack's own objects in the state bucket (.pulumi/*/blacklake/<stack>...).

export const STACK_TAG = "blacklake:stack";
/** The Pulumi project: the state bucket keeps each stack under .pulumi/<kind>/<project>/<stack>. */
export const STATE_PROJECT = "blacklake";

export interface StackScope {
  stack: string;
  /** Tags every AWS resource of the stack carries. */
  tags: Record<string, string>;
  /** IAM path of the roles and users the stack's workloads use (the deploy role manages these). */
  workloadPath: string;
  /** IAM path of the CI roles and their boundary (only an administrator changes these). */
  ciPath: string;
}

export function stackScope(stack: string): StackScope {
  return { stack, tags: { [STACK_TAG]: stack }, workloadPath: `/blacklake/${stack}/`, ciPath: `/blacklake-ci/${stack}/` };
}

/** An IAM ARN of the account: `iamArn(account, "role", path, name)`. */
export const iamArn = (account: string, kind: "role" | "user" | "policy", path: string, name: string) => `arn:aws:iam::${account}:${kind}${path}${name}`;
