import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ciPolicyStatements } from "./ciPolicies";
import type { CiAccessSettings } from "./settings";
import { webIdentityTrustPolicy } from "./webIdentity";

// The identities GitHub Actions uses for this stack, by OIDC federation: no cloud key is
// ever stored in the repository or in GitHub. Two roles, each trusted for exactly one
// GitHub environment of one repository:
//   preview: reads the state, takes the stack lock, decrypts the stack's secrets;
//   deploy:  that, plus managing the platform's own AWS resources (and nothing else).
// The state bucket and the secrets key are made once by an administrator (a stack cannot
// hold its own state): docs/ci.md.

export type { CiAccessSettings };

export interface CiAccessArgs {
  settings: CiAccessSettings;
  /** Names the platform's resources start with (the namespace): the deploy role may manage only those. */
  resourcePrefix: string;
}

const GITHUB_ISSUER = "token.actions.githubusercontent.com";

/** The trust policy: only jobs of `repository` running in GitHub environment `environment`. */
export function githubTrustPolicy(providerArn: pulumi.Input<string>, repository: string, environment: string) {
  return webIdentityTrustPolicy(providerArn, GITHUB_ISSUER, `repo:${repository}:environment:${environment}`);
}

export class CiAccess extends pulumi.ComponentResource {
  readonly previewRoleArn: pulumi.Output<string>;
  readonly deployRoleArn: pulumi.Output<string>;

  constructor(name: string, args: CiAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:CiAccess", name, {}, opts);
    const s = args.settings;
    // IAM is global; the provider's region only decides where the API calls go.
    const provider = new aws.Provider(`${name}-iam`, { region: "us-east-1" }, { parent: this });
    const child = { parent: this, provider };
    const account = aws.getCallerIdentityOutput({}, { parent: this, provider }).accountId;

    const providerArn =
      s.oidcProviderArn ?? new aws.iam.OpenIdConnectProvider(`${name}-github`, { url: `https://${GITHUB_ISSUER}`, clientIdLists: ["sts.amazonaws.com"] }, child).arn;

    const { readState, manage } = ciPolicyStatements(s, account, args.resourcePrefix);
    const p = args.resourcePrefix;
    const role = (kind: "preview" | "deploy", environment: string, statements: unknown[]) => {
      const r = new aws.iam.Role(
        `${name}-${kind}`,
        { name: `${p}-ci-${kind}`, path: "/blacklake/", maxSessionDuration: 3600, assumeRolePolicy: githubTrustPolicy(providerArn, s.githubRepository, environment) },
        child,
      );
      new aws.iam.RolePolicy(`${name}-${kind}`, { role: r.id, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) }, child);
      return r.arn;
    };
    this.previewRoleArn = role("preview", s.previewEnvironment, readState);
    this.deployRoleArn = role("deploy", s.deployEnvironment, [...readState, ...manage]);
    this.registerOutputs({ previewRoleArn: this.previewRoleArn, deployRoleArn: this.deployRoleArn });
  }
}
