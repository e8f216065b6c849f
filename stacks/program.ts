import * as pulumi from "@pulumi/pulumi";
import type { MonitoringMixin } from "../components/lib/mixin";
import { ConfigError, configFromRuntime, type PlatformConfig, parseConfig } from "./config";
import { composeLocal } from "./local";
import { composePlatform } from "./platform";
import { skipAwaitOnEveryKubernetesObject } from "./providers";

/**
 * Whether the engine passed a config key as a secret (PULUMI_CONFIG_SECRET_KEYS). The SDK
 * marks its reader internal, so it is looked up and its absence is an error, not "no secret".
 */
function isConfigSecret(fullKey: string): boolean {
  const reader = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
  if (typeof reader !== "function") throw new Error("@pulumi/pulumi no longer has runtime.isConfigSecret: update stacks/program.ts");
  return reader(fullKey);
}

/**
 * Parses config once, before any resource is registered, then composes the stack it
 * describes. A bad config stops here with one line per problem and no stack trace
 * (RunError).
 */
export function composeStack() {
  let config: PlatformConfig;
  try {
    config = parseConfig(configFromRuntime(pulumi.runtime.allConfig(), isConfigSecret));
  } catch (error) {
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
  if (config.target === "docker") return { config, local: composeLocal(config).platform };
  if (config.kubernetes.skipAwait) skipAwaitOnEveryKubernetesObject();
  return { config, platform: composePlatform(config) };
}

/** The program: the stack, and the outputs a deployment reports. */
export function runPlatformProgram() {
  const { config, local, platform } = composeStack();
  if (local) {
    return {
      environment: config.environment,
      // The Docker network plays the namespace's part: it is named after it.
      namespace: local.networkName,
      offsiteBackupEnabled: false,
      urls: local.urls,
      images: undefined,
      ciRoleArns: undefined,
    };
  }
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

/** The stack's namespace and monitoring mixins, as its Prometheus loads them: the alert docs and tests come from these. */
export function deployedMonitoring(): { namespace: string; mixins: MonitoringMixin[] } {
  const { config, local, platform } = composeStack();
  return { namespace: config.namespace, mixins: [...(local ? local.mixins : platform.monitoring.mixins)] };
}
