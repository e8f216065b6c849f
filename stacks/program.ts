import * as pulumi from "@pulumi/pulumi";
import { ConfigError, configFromRuntime, parseConfig } from "./config";
import { composeLocal } from "./local";
import { composePlatform } from "./platform";
import { skipAwaitOnEveryKubernetesObject } from "./providers";

/**
 * The program: parse config once, before any resource is registered, then compose. A bad
 * config stops here with one line per problem and no stack trace (RunError).
 */
export function runPlatformProgram() {
  let config;
  try {
    config = parseConfig(configFromRuntime(pulumi.runtime.allConfig()));
  } catch (error) {
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
  if (config.target === "docker") {
    const { platform } = composeLocal(config);
    return {
      environment: config.environment,
      // The Docker network plays the namespace's part: it is named after it.
      namespace: platform.networkName,
      offsiteBackupEnabled: false,
      urls: platform.urls,
      images: undefined,
      ciRoleArns: undefined,
    };
  }
  if (config.kubernetes.skipAwait) skipAwaitOnEveryKubernetesObject();
  const platform = composePlatform(config);
  return {
    environment: config.environment,
    namespace: platform.namespace.name,
    offsiteBackupEnabled: platform.offsite !== undefined,
    urls: undefined,
    // What the stack built, as the cluster runs it: repository@sha256:<digest>.
    images: platform.images?.pinned,
    // The AWS_ROLE_ARN values of the GitHub environments (docs/ci.md).
    ciRoleArns: platform.ci ? { preview: platform.ci.previewRoleArn, deploy: platform.ci.deployRoleArn } : undefined,
  };
}
