import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";

// The platform's own images, built from the Dockerfiles under images/ and pushed to the
// stack's registry. Components receive `repository@sha256:...`: what runs is exactly
// what was built, whatever later happens to a tag.

/** Image key (as under the `images` config) -> its build context, relative to the repository root. */
export const BUILT_IMAGES = {
  postgres: "images/postgres",
  backupTools: "images/backup-tools",
} as const;
export type BuiltImage = keyof typeof BUILT_IMAGES;

const ROOT = path.resolve(__dirname, "../..");

/** Credentials for the registry; without them the Docker engine's own login is used. */
export interface RegistryLogin {
  server: pulumi.Input<string>;
  username: pulumi.Input<string>;
  password: pulumi.Input<string>;
}

export interface PlatformImagesArgs {
  /** Where each image is pushed: a repository URL without tag (an ECR repository's `repositoryUrl`). */
  repositories: Record<BuiltImage, pulumi.Input<string>>;
  login?: RegistryLogin;
  platform: "linux/amd64" | "linux/arm64";
}

/**
 * A tag that names the build context's content. ECR tags are immutable, so a tag must
 * never be reused for different content; the same content keeps its tag, and an
 * unchanged context is no change at all in `pulumi preview`.
 */
export function contextTag(contextDir: string, platform: string): string {
  const hash = crypto.createHash("sha256").update(platform);
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
  for (const file of walk(contextDir)) {
    hash.update(path.relative(contextDir, file)).update("\0").update(fs.readFileSync(file)).update("\0");
  }
  return `ctx-${hash.digest("hex").slice(0, 16)}`;
}

export class PlatformImages extends pulumi.ComponentResource {
  /** Each built image as `repository@sha256:<digest>`. */
  readonly pinned: Record<BuiltImage, pulumi.Output<string>>;

  constructor(name: string, args: PlatformImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:images:PlatformImages", name, {}, opts);
    const built = (key: BuiltImage) => {
      const context = path.join(ROOT, BUILT_IMAGES[key]);
      const image = new docker.Image(
        `${name}-${key}`,
        {
          imageName: pulumi.interpolate`${args.repositories[key]}:${contextTag(context, args.platform)}`,
          build: { context, dockerfile: path.join(context, "Dockerfile"), platform: args.platform },
          registry: args.login,
          skipPush: false,
        },
        { parent: this },
      );
      return image.repoDigest;
    };
    this.pinned = { postgres: built("postgres"), backupTools: built("backupTools") };
    this.registerOutputs({ pinned: this.pinned });
  }
}
