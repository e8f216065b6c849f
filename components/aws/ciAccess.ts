import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ciIdentities, ciPolicyStatements, type Statement, workloadBoundary } from "./ciPolicies";
import type { StackScope } from "./scope";
import type { CiAccessSettings } from "./settings";
import { webIdentityTrustPolicy } from "./webIdentity";

// The identities GitHub Actions uses for this stack, by OIDC federation: no cloud key is
// ever stored in the repository or in GitHub. Two roles, each trusted for exactly one
// GitHub environment of one repository:
//   preview: reads this stack's state, takes its lock, decrypts its secrets;
//   deploy:  that, plus managing this stack's own AWS resources (and nothing else).
// Both live under /blacklake-ci/<stack>/ with the boundary the deploy role must put on
// every role and user it makes; the deploy role may change none of them, so this
// component is applied by an administrator (docs/ci.md), like the state bucket, the
// secrets key and the account's GitHub OIDC provider, which it only names.

export type { CiAccessSettings };

export interface CiAccessArgs {
  settings: CiAccessSettings & { oidcProviderArn: string };
  scope: StackScope;
  /** Names the platform's resources start with (the namespace). */
  resourcePrefix: string;
  /** The stack's S3 buckets, by exact name. */
  bucketNames: string[];
  /** The regions of the stack's KMS keys. */
  keyRegions: string[];
  /** The stack's CloudTrail trail, when it has one. */
  trailName?: string;
}

const GITHUB_ISSUER = "token.actions.githubusercontent.com";

/** The trust policy: only jobs of `repository` running in GitHub environment `environment`. */
export function githubTrustPolicy(providerArn: pulumi.Input<string>, repository: string, environment: string) {
  return webIdentityTrustPolicy(providerArn, GITHUB_ISSUER, `repo:${repository}:environment:${environment}`);
}

export class CiAccess extends pulumi.ComponentResource {
  readonly previewRoleArn: pulumi.Output<string>;
  readonly deployRoleArn: pulumi.Output<string>;
  /** The permissions boundary every role and user the deploy role creates must carry. */
  readonly workloadBoundaryArn: pulumi.Output<string>;

  constructor(name: string, args: CiAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:CiAccess", name, {}, opts);
    const s = args.settings;
    // IAM is global; the provider's region only decides where the API calls go.
    const provider = new aws.Provider(`${name}-iam`, { region: "us-east-1" }, { parent: this });
    const child = { parent: this, provider };
    const account = aws.getCallerIdentityOutput({}, { parent: this, provider }).accountId;
    const inputs = account.apply((a) => ({ ...args, account: a }));
    const names = ciIdentities({ ...args, account: "" });
    const tags = args.scope.tags;

    const boundary = new aws.iam.Policy(
      `${name}-workload-boundary`,
      {
        name: names.boundaryName,
        path: args.scope.ciPath,
        description: `The most any role or user of stack ${args.scope.stack} may do`,
        policy: inputs.apply((i) => JSON.stringify(workloadBoundary(i))),
        tags,
      },
      child,
    );
    this.workloadBoundaryArn = boundary.arn;

    const statements = inputs.apply((i) => ciPolicyStatements(i));
    const role = (kind: "preview" | "deploy", roleName: string, environment: string, granted: pulumi.Output<Statement[]>) => {
      const r = new aws.iam.Role(
        `${name}-${kind}`,
        { name: roleName, path: args.scope.ciPath, maxSessionDuration: 3600, assumeRolePolicy: githubTrustPolicy(s.oidcProviderArn, s.githubRepository, environment), tags },
        child,
      );
      new aws.iam.RolePolicy(`${name}-${kind}`, { role: r.id, policy: granted.apply((g) => JSON.stringify({ Version: "2012-10-17", Statement: g })) }, child);
      return r.arn;
    };
    this.previewRoleArn = role(
      "preview",
      names.previewName,
      s.previewEnvironment,
      statements.apply((x) => x.readState),
    );
    this.deployRoleArn = role(
      "deploy",
      names.deployName,
      s.deployEnvironment,
      statements.apply((x) => [...x.readState, ...x.manage]),
    );
    this.registerOutputs({ previewRoleArn: this.previewRoleArn, deployRoleArn: this.deployRoleArn, workloadBoundaryArn: this.workloadBoundaryArn });
  }
}
