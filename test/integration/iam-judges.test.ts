import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { awsPolicyDocuments, type DeclaredPolicyDocument } from "../../scripts/synth/awsPolicyDocuments";
import { MOCK_ACCOUNT, runUnderMocks } from "../../scripts/synth/mockRuntime";
import { ROOT, stackConfig } from "../harness";

// Two independent judges of every AWS policy document the staging and prod stacks declare
// (scripts/synth/awsPolicyDocuments.ts: inline role and user policies, managed policies and
// permissions boundaries, role trust policies, bucket and key policies), installed from PyPI
// into one venv by scripts/integration/install-iam-judges.sh.
//
// parliament 1.6.4, the IAM policy linter, on every document: `parliament --json
// --minimum_severity INFO` with the document on stdin (its `--file` refuses to run when stdin is
// not a terminal, which it never is here; its built-in auditors only, not the opt-in
// `--include-community-auditors`). It has no flag for resource policies: a statement with a
// Principal is checked as one (the principal's form), every statement must have a Resource.
// A trust policy has none (it is the policy of the role itself), so parliament calls it
// MALFORMED and checks nothing else; each trust statement is therefore given the Resource it
// implicitly has, the role's own ARN, and then its principal, action and conditions are checked.
// Parliament's severities are CRITICAL, HIGH, MEDIUM, LOW and INFO (parliament/config.yaml);
// it has no "error" level. Decided here: an ERROR is a CRITICAL or HIGH finding (EXCEPTION,
// MALFORMED_JSON: it could not audit the document; MALFORMED, DUPLICATE_SID: AWS would refuse it
// or read it otherwise) or a RESOURCE_POLICY_PRIVILEGE_ESCALATION (MEDIUM in parliament: a
// principal allowed to rewrite a bucket's policy or lifecycle but not its objects can grant
// itself the objects; privilege escalation is never explained away). Errors must not occur at
// all. Every other finding (MEDIUM and below: unknown actions, operators, condition keys or
// principals, type mismatches, resource mismatches, Resource "*") must be fixed or listed with
// its reason in test/judges/parliament.allow, which lists nothing stale. Those MEDIUM findings
// are allowed to be explained because parliament's database produces false ones (it does not
// know condition keys AWS documents on resource types, like kms:ResourceAliases, nor IAM OIDC
// providers). A finding's check is parliament's issue, qualified where parliament names what it
// is about: UNKNOWN_CONDITION_FOR_ACTION(<key>), UNKNOWN_ACTION(<action>), RESOURCE_STAR(<actions>), ...
// (an OIDC provider's host in a condition key or federated principal reads <oidc-provider>), so
// that a line explaining one condition key does not hide a typo in another.
//
// cloudsplaining 0.9.1, through its Python API (scan_policy, what `cloudsplaining
// scan-policy-file` runs; the command only prints text), with its default exclusions, on the
// identity documents (it is an identity-policy scanner; trust and resource policies are parliament's).
// What it checks, precisely (cloudsplaining/scan/policy_document.py, statement_detail.py): by
// default an action counts only when an Allow statement without any Condition grants it on
// Resource "*" (a statement with a Condition, whatever it tests, is skipped whole); an action
// that AWS lets no ARN restrict (ecr:GetAuthorizationToken, ...) counts when an Allow without a
// Condition grants it, whatever the Resource. Of the actions counted: PrivilegeEscalation (its
// methods after Rhino Security Labs and pathfinding.cloud: iam:PutRolePolicy, iam:CreateAccessKey,
// iam:UpdateAssumeRolePolicy, iam:PassRole with a compute service, ...), ResourceExposure
// (actions at AWS's Permissions-management access level), DataExfiltration (s3:GetObject,
// ssm:GetParameter*, secretsmanager:GetSecretValue, ...), CredentialsExposure (actions that
// return credentials), InfrastructureModification (write, permissions and tagging actions);
// ServiceWildcard is a `service:*` or `*` in an Allow without a Condition, whatever its Resource.
// With `--flag-all-risky-actions` (the API's flag_resource_arn_statements and
// flag_conditional_statements) it counts every allowed action, whatever its Resource and
// Condition. Both are run here:
// - default scan: no PrivilegeEscalation and no ResourceExposure at all; every other risk type
//   fixed or listed in test/judges/cloudsplaining.allow (<risk type>(<action>) <document or *>
//   <why>), nothing stale;
// - every resource, conditions ignored (--flag-all-risky-actions): every PrivilegeEscalation method
//   listed, with why, in test/judges/cloudsplaining-scoped.allow, and the listed documents' escalating
//   actions checked to reach only role/blacklake/<stack>/* and user/blacklake/<stack>/* (the
//   deploy role's bounded grants on the stack's workload identities). The other risk types are not
//   judged in this mode: there they are every write or permissions action the deploy role needs
//   on the resources it manages.
// cloudsplaining subtracts the actions of EVERY Deny statement from what a policy allows,
// whatever the Deny's Resource or Condition: a Deny of iam:Put* on the CI's own roles would hide
// an iam:PutRolePolicy allowed on every other role. So it is shown each document without the
// Deny statements that do not apply everywhere (a Resource other than "*", or a Condition); a
// Deny on "*" without a Condition really removes the action and is kept. Nothing it would report
// on the document as declared is lost that way (it only sees more allowed). (As declared, the
// deploy role's Deny on its own blacklake-ci/* identities hides every escalation method it has.)

const STACKS = ["staging", "prod"] as const;
type Stack = (typeof STACKS)[number];

interface Finding {
  check: string;
  object: string;
  where: string;
}

interface ParliamentFinding {
  issue: string;
  severity: string;
  detail: unknown;
  location?: unknown;
}

interface Judged extends DeclaredPolicyDocument {
  /** For a trust policy, the role it belongs to. */
  roleArn?: string;
}

let bin: string;
const documents = {} as Record<Stack, Judged[]>;

beforeAll(async () => {
  bin = execFileSync("bash", [path.join(ROOT, "scripts/integration/install-iam-judges.sh")], { encoding: "utf8" }).trim();
  for (const stack of STACKS) {
    const { resources } = await runUnderMocks(stack, stackConfig(stack));
    const roles = new Map(
      resources
        .filter((r) => r.type === "aws:iam/role:Role")
        .map((r) => [`${r.type}::${r.name}.assumeRolePolicy`, `arn:aws:iam::${MOCK_ACCOUNT}:role${r.inputs.path ?? "/"}${r.inputs.name ?? r.name}`]),
    );
    documents[stack] = awsPolicyDocuments(resources).map((d) => (d.kind === "trust" ? { ...d, roleArn: roles.get(d.resource) } : d));
  }
}, 600_000);

/** An allow-list file: `<check> <object or *> <why>` per line, # comments. */
function allowList(file: string) {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const [check, object, ...why] = l.split(" ");
      return { check: check!, object: object!, why: why.join(" ") };
    });
}
type Allowed = ReturnType<typeof allowList>[number];
const matches = (a: Allowed, f: Finding) => a.check === f.check && (a.object === "*" || a.object === f.object);

/** The judge's findings against its allow-list: what is not explained, and what is explained but no longer found. */
function judged(found: Finding[], list: Allowed[]) {
  return {
    unexplained: [...new Set(found.filter((f) => !list.some((a) => matches(a, f))).map(show))],
    stale: list.filter((a) => !found.some((f) => matches(a, f))).map((a) => `${a.check} ${a.object}`),
    reasonless: list.filter((a) => a.why.length < 20).map((a) => `${a.check} ${a.object}`),
  };
}
const show = (f: Finding) => `${f.check} ${f.object} (${f.where})`;

// --- parliament ------------------------------------------------------------------------------

/** A trust policy as parliament can read it: each statement on the resource it implicitly has, the role. */
function asParliamentReadsIt(d: Judged): Record<string, unknown> {
  if (d.kind !== "trust") return d.document;
  if (!d.roleArn) throw new Error(`${d.resource}: no role found for this trust policy`);
  const statements = [d.document.Statement].flat() as Record<string, unknown>[];
  return { ...d.document, Statement: statements.map((s) => ("Resource" in s || "NotResource" in s ? s : { ...s, Resource: d.roleArn })) };
}

function parliament(document: Record<string, unknown>): ParliamentFinding[] {
  const r = spawnSync(path.join(bin, "parliament"), ["--json", "--minimum_severity", "INFO"], { input: JSON.stringify(document), encoding: "utf8" });
  const lines = r.stdout.split("\n").filter((l) => l.trim());
  // Exit 0: no finding; 1: findings, one JSON object a line (a crash also exits 1, without them).
  if (r.status === 0 && lines.length === 0) return [];
  if (r.status !== 1 || lines.length === 0 || !lines.every((l) => l.startsWith("{"))) throw new Error(`parliament failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
  return lines.map((l) => JSON.parse(l) as ParliamentFinding);
}

/** An OIDC provider's host (token.actions.githubusercontent.com, oidc.eks.<region>.amazonaws.com/id/<id>) in a condition key. */
const oidcKey = (key: string) => key.replace(/^[^:]*\.[^:]*:/, "<oidc-provider>:");

/** A finding's check: parliament's issue, qualified by what it is about where its detail says. */
function parliamentCheck(f: ParliamentFinding): string {
  const detail = typeof f.detail === "string" ? f.detail : JSON.stringify(f.detail);
  let about: string | undefined;
  if (f.issue === "UNKNOWN_CONDITION_FOR_ACTION") about = /^Unknown condition (\S+) for action/.exec(detail)?.[1];
  if (f.issue === "UNKNOWN_CONDITION_FOR_ACTION" && about) about = oidcKey(about);
  if (f.issue === "UNKNOWN_FEDERATION_SOURCE") about = /^arn:[-a-z]+:iam::\d{12}:oidc-provider\//.test(detail) ? "<oidc-provider>" : detail;
  if (f.issue === "UNKNOWN_ACTION" || f.issue === "UNKNOWN_PREFIX") about = /(\S+:\S+)/.exec(detail)?.[1] ?? detail;
  if (f.issue === "RESOURCE_STAR" && Array.isArray(f.detail)) about = f.detail.join(",");
  if (f.issue === "MISMATCHED_TYPE" || f.issue === "MISMATCHED_TYPE_BUT_USABLE") about = /^Type mismatch: (\S+)/.exec(detail)?.[1];
  return about ? `${f.issue}(${about.replace(/\s+/g, "_")})` : f.issue;
}

const ERROR_SEVERITIES = ["CRITICAL", "HIGH"];
const isError = (f: ParliamentFinding) => ERROR_SEVERITIES.includes(f.severity) || f.issue === "RESOURCE_POLICY_PRIVILEGE_ESCALATION";

/** Every finding of parliament over the stacks' documents, split into errors and the rest. */
function parliamentOverTheStacks(): { errors: Finding[]; others: Finding[]; judgedDocuments: number } {
  const errors: Finding[] = [];
  const others: Finding[] = [];
  let judgedDocuments = 0;
  for (const stack of STACKS) {
    for (const d of documents[stack]) {
      judgedDocuments++;
      for (const f of parliament(asParliamentReadsIt(d))) {
        const detail = typeof f.detail === "string" ? f.detail : JSON.stringify(f.detail);
        (isError(f) ? errors : others).push({ check: parliamentCheck(f), object: d.resource, where: `${stack}, ${f.severity}: ${detail}` });
      }
    }
  }
  return { errors, others, judgedDocuments };
}

// --- cloudsplaining --------------------------------------------------------------------------

type RiskType = "PrivilegeEscalation" | "ResourceExposure" | "DataExfiltration" | "CredentialsExposure" | "InfrastructureModification" | "ServiceWildcard";
type Risks = Partial<Record<RiskType, (string | { type: string; actions: string[] })[]>>;
interface CloudsplainingResult {
  /** cloudsplaining's default scan: actions allowed on Resource "*" without a Condition. */
  default: Risks;
  /** --flag-all-risky-actions: every allowed action, whatever its Resource and Condition. */
  allRiskyActions: Risks;
}

// Reads {"documents": [...], "asDeclared": bool} on stdin, writes one result a document on stdout.
// cloudsplaining prints notes on stdout while it scans: they go to stderr.
const CLOUDSPLAINING = `
import json, sys
from cloudsplaining.command.scan_policy_file import scan_policy
from cloudsplaining.shared.constants import DEFAULT_EXCLUSIONS_CONFIG

def statements(doc):
    s = doc.get("Statement", [])
    return s if isinstance(s, list) else [s]

def applies_everywhere(s):
    return s.get("Effect") != "Deny" or (s.get("Resource") in ("*", ["*"]) and "Condition" not in s)

def risks(doc, flag_all):
    r = scan_policy(doc, DEFAULT_EXCLUSIONS_CONFIG, flag_conditional_statements=flag_all, flag_resource_arn_statements=flag_all)
    return {k: v["findings"] for k, v in r.items() if isinstance(v, dict) and v.get("findings")}

request = json.load(sys.stdin)
out, sys.stdout = sys.stdout, sys.stderr
results = []
for doc in request["documents"]:
    if not request["asDeclared"]:
        doc = {**doc, "Statement": [s for s in statements(doc) if applies_everywhere(s)]}
    results.append({"default": risks(doc, False), "allRiskyActions": risks(doc, True)})
json.dump(results, out)
`;

function cloudsplaining(docs: Record<string, unknown>[], asDeclared = false): CloudsplainingResult[] {
  const r = spawnSync(path.join(bin, "python"), ["-c", CLOUDSPLAINING], {
    input: JSON.stringify({ documents: docs, asDeclared }),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`cloudsplaining failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CloudsplainingResult[];
}

/** One finding per escalation method or action: `<risk type>(<method or action>)`. */
function risksAsFindings(risks: Risks, object: string, where: string, only?: RiskType[]): Finding[] {
  return Object.entries(risks)
    .filter(([type]) => !only || only.includes(type as RiskType))
    .flatMap(([type, found]) =>
      found!.map((x) => (typeof x === "string" ? { check: `${type}(${x})`, object, where } : { check: `${type}(${x.type})`, object, where: `${where}: ${x.actions.join(", ")}` })),
    );
}

/** cloudsplaining over the identity documents of both stacks. */
function cloudsplainingOverTheStacks() {
  const onStar: Finding[] = [];
  const anywhere: Finding[] = [];
  let judgedDocuments = 0;
  for (const stack of STACKS) {
    const identity = documents[stack].filter((d) => d.kind === "identity");
    judgedDocuments += identity.length;
    cloudsplaining(identity.map((d) => d.document)).forEach((result, i) => {
      const object = identity[i]!.resource;
      onStar.push(...risksAsFindings(result.default, object, `${stack}, on Resource "*"`));
      anywhere.push(...risksAsFindings(result.allRiskyActions, object, `${stack}, on any resource, conditions ignored`, ["PrivilegeEscalation"]));
    });
  }
  return { onStar, anywhere, judgedDocuments };
}

/** The IAM actions cloudsplaining's escalation methods above are made of. */
const ESCALATING = ["iam:PutRolePolicy", "iam:PutUserPolicy", "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey", "iam:DeleteAccessKey"];

// --- the documents ---------------------------------------------------------------------------

const BOTH = [
  "aws:iam/role:Role::ci-preview.assumeRolePolicy",
  "aws:iam/role:Role::ci-deploy.assumeRolePolicy",
  "aws:iam/policy:Policy::ci-workload-boundary.policy",
  "aws:iam/rolePolicy:RolePolicy::ci-preview.policy",
  "aws:iam/rolePolicy:RolePolicy::ci-deploy.policy",
];
const EXPECTED: Record<Stack, string[]> = {
  staging: BOTH,
  prod: [
    ...BOTH,
    "aws:iam/role:Role::offsite-replication.assumeRolePolicy",
    "aws:iam/role:Role::offsite-pgbackrest.assumeRolePolicy",
    "aws:iam/rolePolicy:RolePolicy::offsite-pgbackrest.policy",
    "aws:iam/userPolicy:UserPolicy::offsite-minio-mirror.policy",
    "aws:iam/rolePolicy:RolePolicy::offsite-replication.policy",
    "aws:s3/bucketPolicy:BucketPolicy::offsite-policy.policy",
    "aws:s3/bucketPolicy:BucketPolicy::offsite-replica-policy.policy",
  ],
};

describe("the AWS policy documents the staging and prod stacks declare", () => {
  it.each(STACKS)("are found in %s: the CI roles' trust and inline policies, the workload boundary (and prod's offsite backups)", (stack) => {
    const found = documents[stack];
    expect(found.map((d) => d.resource)).toEqual(expect.arrayContaining(EXPECTED[stack]));
    expect(found.length).toBeGreaterThanOrEqual(EXPECTED[stack].length);
    const kinds = found.map((d) => d.kind);
    for (const kind of stack === "prod" ? ["identity", "trust", "resource"] : ["identity", "trust"]) expect(kinds, `${stack} declares ${kind} policies`).toContain(kind);
    for (const d of found) expect([d.document.Statement].flat().length, `${d.resource} has statements`).toBeGreaterThan(0);
    const deploy = found.find((d) => d.resource === "aws:iam/rolePolicy:RolePolicy::ci-deploy.policy")!;
    expect([deploy.document.Statement].flat().length, "the deploy role's whole policy").toBeGreaterThanOrEqual(10);
    for (const d of found.filter((x) => x.kind === "trust")) expect(d.roleArn, `${d.resource}: its role's ARN`).toMatch(/^arn:aws:iam::\d{12}:role\/.+/);
  });
});

// --- parliament over the stacks ------------------------------------------------------------------

describe("parliament 1.6.4 over every AWS policy document of the staging and prod stacks", () => {
  let result: ReturnType<typeof parliamentOverTheStacks>;
  beforeAll(() => {
    result = parliamentOverTheStacks();
  }, 600_000);

  it("read every document", () => {
    expect(result.judgedDocuments).toBe(documents.staging.length + documents.prod.length);
  });

  it("finds no error (CRITICAL or HIGH, or a resource-policy privilege escalation)", () => {
    expect([...new Set(result.errors.map(show))]).toEqual([]);
  });

  it("finds nothing else that is neither fixed nor explained in test/judges/parliament.allow, which lists nothing stale", () => {
    const list = allowList(path.join(ROOT, "test/judges/parliament.allow"));
    const errorChecks = list.filter((a) => ["EXCEPTION", "MALFORMED_JSON", "MALFORMED", "DUPLICATE_SID", "RESOURCE_POLICY_PRIVILEGE_ESCALATION"].includes(a.check.split("(")[0]!));
    expect(
      errorChecks.map((a) => a.check),
      "errors cannot be explained away",
    ).toEqual([]);
    expect(judged(result.others, list)).toEqual({ unexplained: [], stale: [], reasonless: [] });
  });

  it("reports a typo'd action, an unknown operator, a bad principal in a trust policy, a malformed statement and a bucket-policy escalation (the judge can fail)", () => {
    const bucket = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Typo", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "s3:GetObjekt", Resource: "arn:aws:s3:::b/*" },
        {
          Sid: "BadOperator",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::b/*",
          Condition: { StringEqualz: { "s3:x-amz-server-side-encryption": "aws:kms" } },
        },
      ],
    };
    const checks = (doc: Record<string, unknown>) => parliament(doc).map((f) => ({ check: parliamentCheck(f), error: isError(f) }));
    expect(checks(bucket)).toEqual(expect.arrayContaining([{ check: "UNKNOWN_ACTION(s3:GetObjekt)", error: false }]));
    expect(checks({ ...bucket, Statement: [bucket.Statement[1]] })).toEqual(expect.arrayContaining([{ check: "UNKNOWN_OPERATOR", error: false }]));
    const trust: Judged = {
      resource: "bad-trust",
      kind: "trust",
      roleArn: "arn:aws:iam::111122223333:role/x",
      document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "everyone" }, Action: "sts:AssumeRole" }] },
    };
    expect(checks(asParliamentReadsIt(trust))).toEqual([{ check: "UNKNOWN_PRINCIPAL", error: false }]);
    expect(checks({ Version: "2012-10-17", Statement: [{ Action: "s3:GetObject", Resource: "*" }] })).toEqual([{ check: "MALFORMED", error: true }]);
    const rewritesThePolicy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:PutBucketPolicy", Resource: "arn:aws:s3:::b" }] };
    expect(checks(rewritesThePolicy)).toEqual(expect.arrayContaining([{ check: "RESOURCE_POLICY_PRIVILEGE_ESCALATION", error: true }]));
  });
});

// --- cloudsplaining over the stacks --------------------------------------------------------------

describe("cloudsplaining 0.9.1 over every identity policy of the staging and prod stacks", () => {
  let result: ReturnType<typeof cloudsplainingOverTheStacks>;
  beforeAll(() => {
    result = cloudsplainingOverTheStacks();
  }, 600_000);

  it("read every identity document", () => {
    expect(result.judgedDocuments).toBe(documents.staging.filter((d) => d.kind === "identity").length + documents.prod.filter((d) => d.kind === "identity").length);
    expect(result.judgedDocuments).toBeGreaterThanOrEqual(6);
  });

  it('allows no privilege escalation and no resource exposure on Resource "*" (its default scan)', () => {
    const forbidden = result.onStar.filter((f) => f.check.startsWith("PrivilegeEscalation(") || f.check.startsWith("ResourceExposure("));
    expect([...new Set(forbidden.map(show))]).toEqual([]);
  });

  it("finds no privilege escalation on any resource, whatever the conditions (--flag-all-risky-actions), but the bounded ones test/judges/cloudsplaining-scoped.allow explains", () => {
    const list = allowList(path.join(ROOT, "test/judges/cloudsplaining-scoped.allow"));
    expect(
      list.filter((a) => a.object === "*").map((a) => a.check),
      "each line names its document",
    ).toEqual([]);
    expect(judged(result.anywhere, list)).toEqual({ unexplained: [], stale: [], reasonless: [] });
    // What the lines claim, checked on the documents: the escalating actions reach the stack's workload identities only.
    for (const stack of STACKS) {
      for (const d of documents[stack].filter((x) => list.some((a) => a.object === x.resource))) {
        const escalating = [d.document.Statement]
          .flat()
          .filter((st: any) => st.Effect === "Allow" && [st.Action].flat().some((a: string) => ESCALATING.includes(a)))
          .flatMap((st: any) => [st.Resource].flat() as string[]);
        expect(escalating.length, `${stack} ${d.resource}`).toBeGreaterThan(0);
        expect(
          escalating.filter((r) => !new RegExp(`^arn:aws:iam::\\d{12}:(role|user)/blacklake/${stack}/\\*$`).test(r)),
          `${stack} ${d.resource}: escalating grants outside the stack's workload identities`,
        ).toEqual([]);
      }
    }
  });

  it('finds no other risk on Resource "*" that is neither fixed nor explained in test/judges/cloudsplaining.allow, which lists nothing stale', () => {
    const list = allowList(path.join(ROOT, "test/judges/cloudsplaining.allow"));
    expect(
      list.filter((a) => a.check.startsWith("PrivilegeEscalation") || a.check.startsWith("ResourceExposure")).map((a) => a.check),
      "privilege escalation and resource exposure cannot be explained away",
    ).toEqual([]);
    const others = result.onStar.filter((f) => !f.check.startsWith("PrivilegeEscalation(") && !f.check.startsWith("ResourceExposure("));
    expect(judged(others, list)).toEqual({ unexplained: [], stale: [], reasonless: [] });
  });

  it("reports PutRolePolicy and PutBucketPolicy on * past a Deny scoped elsewhere, and a CreateAccessKey scoped to stack users (the judge can fail)", () => {
    const onEverything = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["iam:PassRole", "iam:PutRolePolicy", "s3:PutBucketPolicy"], Resource: "*" },
        { Effect: "Deny", Action: ["iam:Put*", "iam:PassRole"], Resource: "arn:aws:iam::111122223333:role/blacklake-ci/*" },
      ],
    };
    const scoped = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::111122223333:user/blacklake/prod/*" }],
    };
    const [bad, narrow] = cloudsplaining([onEverything, scoped]);
    const checks = (risks: Risks) => risksAsFindings(risks, "x", "x").map((f) => f.check);
    expect(checks(bad!.default)).toEqual(
      expect.arrayContaining([
        "PrivilegeEscalation(PutRolePolicy)",
        "ResourceExposure(iam:PutRolePolicy)",
        "ResourceExposure(s3:PutBucketPolicy)",
        "InfrastructureModification(iam:PassRole)",
      ]),
    );
    expect(checks(narrow!.default), "scoped to an ARN: not seen by the default scan").toEqual([]);
    expect(checks(narrow!.allRiskyActions)).toEqual(expect.arrayContaining(["PrivilegeEscalation(CreateAccessKey)"]));
    // Why the scoped Denies are left out: as declared, cloudsplaining subtracts the Deny's actions
    // from everything the policy allows and sees no escalation at all.
    const [asDeclared] = cloudsplaining([onEverything], true);
    expect(checks(asDeclared!.default).filter((c) => c.startsWith("PrivilegeEscalation"))).toEqual([]);
  });
});
