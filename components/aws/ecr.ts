import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

// ECR repositories for the images the stack builds: scanned on push, tags immutable (a
// tag always means the same bytes), encrypted with KMS, and a lifecycle that expires
// untagged layers quickly and keeps a bounded number of images.

export interface ImageRepositoriesArgs {
  /** Repository names, e.g. blacklake/postgres. */
  names: string[];
  region: string;
  keepImages: number;
  untaggedExpireDays: number;
}

/** The lifecycle policy document: untagged images first, then the newest `keepImages` of the rest. */
export function ecrLifecyclePolicy(keepImages: number, untaggedExpireDays: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Expire untagged images after ${untaggedExpireDays} days`,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpireDays },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the newest ${keepImages} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepImages },
        action: { type: "expire" },
      },
    ],
  });
}

export class ImageRepositories extends pulumi.ComponentResource {
  /** Repository name -> URL to push to (without tag). */
  readonly urls: Record<string, pulumi.Output<string>> = {};
  /** A short-lived login for the registry, from the deploying identity. */
  readonly login: { server: pulumi.Output<string>; username: pulumi.Output<string>; password: pulumi.Output<string> };

  constructor(name: string, args: ImageRepositoriesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:aws:ImageRepositories", name, {}, opts);
    const provider = new aws.Provider(`${name}-${args.region}`, { region: args.region as aws.Region }, { parent: this });
    const child = { parent: this, provider };
    for (const repositoryName of args.names) {
      const resourceName = `${name}-${repositoryName.replace(/\//g, "-")}`;
      const repository = new aws.ecr.Repository(
        resourceName,
        {
          name: repositoryName,
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "KMS" }],
          forceDelete: false,
        },
        child,
      );
      new aws.ecr.LifecyclePolicy(resourceName, { repository: repository.name, policy: ecrLifecyclePolicy(args.keepImages, args.untaggedExpireDays) }, child);
      this.urls[repositoryName] = repository.repositoryUrl;
    }
    const token = aws.ecr.getAuthorizationTokenOutput({}, { parent: this, provider });
    this.login = { server: token.proxyEndpoint, username: token.userName, password: pulumi.secret(token.password) };
    this.registerOutputs({ urls: this.urls });
  }
}
